"""The portal adapter's interconnected-dossier statuses against the portal mock in-process: canonical
names to trangThai 1-7, a repeat answered "already exists" treated as done, bad orders refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.portal import PortalAdapter, PortalConfig
from bus.errors import ProviderRejected
from services.citizens import Population
from services.clock import VIETNAM_TIME
from services.portal import PortalSettings, create_app
from tests.adapters.agency_harness import envelope, served

SERVICE = "VN/GOV/DVCQG/PORTAL/DongBoTrangThaiLienThong/v1"
START = datetime(2026, 12, 7, 8, 0, tzinfo=VIETNAM_TIME)


@pytest.fixture
async def system() -> AsyncIterator[tuple[PortalAdapter, httpx.AsyncClient]]:
    app = create_app(PortalSettings(gateway_url="http://127.0.0.1:9"), population=Population(size=1000))
    async with served(app, PortalAdapter, PortalConfig(base_url="http://portal")) as pair:
        yield pair


def update(status: str, minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "dossier_number": "H31.29-20261207-0001",
        "status": status,
        "updated_at": (START + timedelta(minutes=minutes)).isoformat(),
        "note": f"Hồ sơ liên thông: {status}",
    } | extra


async def test_statuses_are_mirrored_as_the_portals_codes_and_a_repeat_is_done(
    system: tuple[PortalAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = system
    due = (START + timedelta(days=3)).isoformat()
    first = await adapter.handle(envelope(SERVICE, update("received", 0, bundle="KS-TT-BHYT", due_at=due)))
    assert isinstance(first, dict) and first["status_code"] == 1 and first["already_recorded"] is False
    sent = await adapter.handle(envelope(SERVICE, update("accepted", 5)))
    assert isinstance(sent, dict) and sent["status_code"] == 3
    registry = await adapter.handle(envelope(SERVICE, update("sent_to_registry", 10, agency="UBND phường")))
    assert isinstance(registry, dict) and registry["status_code"] == 7
    repeat = await adapter.handle(envelope(SERVICE, update("sent_to_registry", 10, agency="UBND phường")))
    assert isinstance(repeat, dict) and repeat["already_recorded"] is True
    held = (await control.get("/api/lienthong/TraCuu", params={"maHoSo": "H31.29-20261207-0001"})).json()
    assert [step["trangThai"] for step in held["lichSu"]] == [1, 3, 7]
    assert held["ngayHenTra"] == "20261210080000"


async def test_a_status_out_of_order_is_refused_naming_the_canonical_field(
    system: tuple[PortalAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = system
    await adapter.handle(envelope(SERVICE, update("received", 0)))
    with pytest.raises(ProviderRejected, match=r"field 'status'"):
        await adapter.handle(envelope(SERVICE, update("result_returned", 5)))
