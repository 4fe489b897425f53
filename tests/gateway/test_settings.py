"""The gateway's settings come from LGSP_GATEWAY_* variables and refuse nonsense."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bus.gateway.settings import GatewaySettings


def test_settings_are_read_from_lgsp_gateway_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_MAX_IN_FLIGHT", "7")
    monkeypatch.setenv("LGSP_GATEWAY_IDEMPOTENCY_TTL", "60")
    settings = GatewaySettings(_env_file=None)
    assert (settings.max_in_flight, settings.idempotency_ttl) == (7, 60.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_in_flight", 0), ("transaction_ttl", -1), ("callback_attempts", 0), ("idempotency_ttl", 0)],
)
def test_nonsense_settings_are_refused_naming_the_field(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=name):
        GatewaySettings.model_validate({name: value})
