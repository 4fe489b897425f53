"""The four agency adapters pass the conformance kit against their mocks (profiles by entry point)."""

from __future__ import annotations

import pytest

from adapters.conformance import check_target


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["residence", "insurance", "social", "lltp"])
async def test_agency_adapter_passes_every_applicable_conformance_check(adapter: str) -> None:
    report = await check_target(f"adapters.{adapter}:create_adapter")
    assert report.ok, report.model_dump_json(indent=1)
    statuses = {result.name: result.status for result in report.results}
    assert statuses["idempotent_under_redelivery"] == "pass"
    assert statuses["answers_every_service"] == "pass"
    assert {name for name, status in statuses.items() if status != "pass"} == {
        "maps_soap_fault",
        "no_credentials_in_logs",
    }
