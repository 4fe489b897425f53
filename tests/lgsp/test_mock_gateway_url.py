"""`lgsp mock --gateway-url`: a mock started alone sends its callbacks to the gateway it is given."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from lgsp.cli import app


@pytest.mark.parametrize(
    ("given", "expected"), [(["--gateway-url", "http://127.0.0.1:23456"], "23456"), ([], "8000")]
)
def test_payment_confirmations_go_to_the_gateway_given(
    monkeypatch: pytest.MonkeyPatch, given: list[str], expected: str
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda served_app, **_: served.append(served_app))
    result = CliRunner().invoke(app, ["mock", "payment", "--port", "20999", "--no-latency", *given])
    assert result.exit_code == 0, result.output
    partners = served[0].state.platform.settings.partners.values()
    assert [str(partner.callback_url) for partner in partners] == [
        f"http://127.0.0.1:{expected}/callbacks/paygov/HPG_LGSP"
    ]
