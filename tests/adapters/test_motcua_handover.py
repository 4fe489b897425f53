"""The motcua adapter's hand-over (ChuyenXuLyHoSo) and decision look-up (TraCuuXuLyHoSo) on the real mock:
canonical in, the one-stop system's dialect on the wire, its record back as the latest status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.motcua import CHUYEN_XU_LY, TRA_CUU_XU_LY, MotcuaAdapter, MotcuaConfig
from adapters.motcua.wire import VIETNAM_TIME
from bus.envelope import Envelope
from bus.errors import ProviderRejected
from lgsp.conformance_profiles.motcua import handed_over
from services.faults import Latency
from services.motcua import MotcuaSettings, create_app

SERVICE = "VN/GOV/HPG/MOTCUA/{}/v1"


@pytest.fixture
async def mock_and_adapter() -> AsyncIterator[tuple[httpx.AsyncClient, MotcuaAdapter]]:
    settings = MotcuaSettings(gateway_url=None, latency=Latency(), refusal_rate=0.0, supplement_rate=0.0)
    transport = httpx.ASGITransport(app=create_app(settings))
    adapter = MotcuaAdapter(MotcuaConfig(base_url="http://motcua"), transport=transport)
    async with httpx.AsyncClient(transport=transport, base_url="http://motcua") as control:
        yield control, adapter
    await adapter.close()


def envelope(code: str, payload: dict[str, Any]) -> Envelope:
    return Envelope(service=SERVICE.format(code), client="VN/GOV/HPG/MOTCUA", payload=payload)


async def test_a_handed_over_dossier_is_processing_then_approved_as_the_mocks_clock_passes(
    mock_and_adapter: tuple[httpx.AsyncClient, MotcuaAdapter],
) -> None:
    control, adapter = mock_and_adapter
    received = datetime.now(VIETNAM_TIME).replace(microsecond=0)
    dossier = handed_over("H31.29-20261207-0301", received)
    receipt = await adapter.handle(envelope(CHUYEN_XU_LY.service_code, dossier))
    assert isinstance(receipt, dict) and receipt["system_id"].startswith("MC.031.")
    lookup = envelope(TRA_CUU_XU_LY.service_code, {"dossier_number": "H31.29-20261207-0301"})
    now = await adapter.handle(lookup)
    assert isinstance(now, dict) and now["status"] == 4 and now["officer"]
    ahead = (received + timedelta(days=10)).isoformat()
    assert (await control.post("/_control/clock/jump", json={"now": ahead})).status_code == 200
    decided = await adapter.handle(lookup)
    assert isinstance(decided, dict) and decided["status"] == 9 and decided["status_name"] == "Đã xử lý xong"


async def test_an_unknown_dossier_and_a_bad_owner_are_rejected_naming_the_canonical_field(
    mock_and_adapter: tuple[httpx.AsyncClient, MotcuaAdapter],
) -> None:
    _, adapter = mock_and_adapter
    with pytest.raises(ProviderRejected, match="dossier_number"):
        await adapter.handle(envelope(TRA_CUU_XU_LY.service_code, {"dossier_number": "H31.29-NOBODY"}))
    dossier = handed_over("H31.29-20261207-0302", datetime.now(VIETNAM_TIME))
    dossier["due_at"] = "2020-01-01T08:00:00+07:00"  # before its reception: the system refuses it
    with pytest.raises(ProviderRejected, match="due_at"):
        await adapter.handle(envelope(CHUYEN_XU_LY.service_code, dossier))
