"""The kit fails each deliberately broken adapter, naming the check its flaw breaks."""

from __future__ import annotations

import pytest

from adapters.conformance import check_target

FIXTURES = "tests.adapters.fixtures.broken_civil"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("factory", "failing_check"),
    [
        ("ignores_deadline", "honours_deadline"),
        ("maps_5xx_wrongly", "maps_provider_5xx"),
        ("loses_correlation_id", "echoes_correlation_ids"),
        ("logs_secret", "no_credentials_in_logs"),
        ("not_idempotent", "idempotent_under_redelivery"),
        ("mangles_diacritics", "vietnamese_text"),
    ],
)
async def test_broken_adapter_fails_the_check_its_flaw_breaks(factory: str, failing_check: str) -> None:
    report = await check_target(f"{FIXTURES}:{factory}")
    assert not report.ok
    assert failing_check in report.failed(), report.model_dump_json(indent=1)
