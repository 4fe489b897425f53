"""Portal adapter against the portal mock in-process: progress updates, look-ups, field-named rejections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.conformance import check_target
from adapters.portal import PortalAdapter, PortalConfig
from adapters.portal.wire import VIETNAM_TIME
from bus.envelope import Envelope
from bus.errors import BadRequest, ProviderRejected
from services.citizens import Population
from services.portal import DossierFactory, HoSoMC, PortalSettings, create_app

POPULATION = Population(seed=2023, size=3000)
RECEIVED = datetime(2025, 1, 5, 8, 30)  # the portal's own clock: naive Vietnam time


@pytest.fixture
async def portal() -> AsyncIterator[tuple[PortalAdapter, HoSoMC, httpx.AsyncClient]]:
    app = create_app(PortalSettings(population_size=3000), population=POPULATION)
    dossier = DossierFactory(POPULATION, now=lambda: RECEIVED).next_dossier()
    app.state.dossiers.add(dossier)
    transport = httpx.ASGITransport(app=app)
    adapter = PortalAdapter(PortalConfig(base_url="http://portal"), transport=transport)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as control:
        yield adapter, dossier, control
    await adapter.close()


def envelope(service: str, payload: Any) -> Envelope:
    return Envelope(
        client="VN/GOV/HPG/MOTCUA", service=f"VN/GOV/DVCQG/PORTAL/{service}/v1", payload=payload
    ).with_deadline(5)


def update(dossier: HoSoMC, status: int, hours: float, **changes: Any) -> dict[str, Any]:
    at = (RECEIVED + timedelta(hours=hours)).replace(tzinfo=VIETNAM_TIME)
    body = {"dossier_number": dossier.MaHoSo, "status": status, "updated_at": at.isoformat(),
            "note": "Tiếp nhận hồ sơ, hẹn trả kết quả", "officer": "Trần Thị Mai"}  # fmt: skip
    return body | changes


async def test_a_progress_update_reaches_the_portal_in_its_format(
    portal: tuple[PortalAdapter, HoSoMC, httpx.AsyncClient],
) -> None:
    adapter, dossier, control = portal
    answer = await adapter.handle(envelope("CapNhatTienDoHoSoMC", update(dossier, 2, 1)))
    assert isinstance(answer, dict)
    assert (answer["status"], answer["status_name"]) == (2, "Đã tiếp nhận")
    assert answer["updated_at"] == "2025-01-05T09:30:00+07:00"
    last = (await control.get("/api/TraCuuHoSo", params={"MaHoSo": dossier.MaHoSo})).json()["LichSuXuLy"][-1]
    assert (last["NgayCapNhat"], last["NguoiXuLy"]) == ("20250105093000", "Trần Thị Mai")


async def test_an_update_in_another_time_zone_is_written_in_vietnam_time(
    portal: tuple[PortalAdapter, HoSoMC, httpx.AsyncClient],
) -> None:
    adapter, dossier, _ = portal
    answer = await adapter.handle(
        envelope("CapNhatTienDoHoSoMC", update(dossier, 2, 0, updated_at="2025-01-05T02:30:00+00:00"))
    )
    assert isinstance(answer, dict) and answer["updated_at"] == "2025-01-05T09:30:00+07:00"


async def test_lookup_answers_the_history_and_found_false_for_an_unknown_dossier(
    portal: tuple[PortalAdapter, HoSoMC, httpx.AsyncClient],
) -> None:
    adapter, dossier, _ = portal
    await adapter.handle(envelope("CapNhatTienDoHoSoMC", update(dossier, 2, 1)))
    await adapter.handle(envelope("CapNhatTienDoHoSoMC", update(dossier, 4, 2, note="Đang thẩm định")))
    answer = await adapter.handle(envelope("TraCuuHoSo", {"dossier_number": dossier.MaHoSo}))
    assert isinstance(answer, dict) and answer["found"] is True
    assert [entry["status"] for entry in answer["history"]] == [1, 2, 4]
    assert answer["status"] == 4 and answer["dossier"]["owner_name"] == dossier.ChuHoSo.HoVaTen
    missing = await adapter.handle(envelope("TraCuuHoSo", {"dossier_number": "H31.29-20990101-0001"}))
    assert missing == {"found": False, "dossier_number": "H31.29-20990101-0001", "status": None,
                       "status_name": None, "dossier": None, "history": []}  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        (None, {"status": 10}, "status"),  # 1 → 10 is not a transition the portal allows
        ((2, 5), {"status": 4, "updated_at": "2025-01-05T08:00:00+07:00"}, "updated_at"),  # before the last
        (None, {"dossier_number": "H31.29-20990101-0001"}, "dossier_number"),
    ],
)
async def test_the_portals_refusals_name_the_canonical_field(
    portal: tuple[PortalAdapter, HoSoMC, httpx.AsyncClient],
    first: tuple[int, float] | None,
    second: dict[str, Any],
    field: str,
) -> None:
    adapter, dossier, control = portal
    if first is not None:
        await adapter.handle(envelope("CapNhatTienDoHoSoMC", update(dossier, *first)))
    before = (await control.get("/api/TraCuuHoSo", params={"MaHoSo": dossier.MaHoSo})).json()
    with pytest.raises(ProviderRejected, match=f"field '{field}'"):
        await adapter.handle(envelope("CapNhatTienDoHoSoMC", update(dossier, 4, 3) | second))
    assert (await control.get("/api/TraCuuHoSo", params={"MaHoSo": dossier.MaHoSo})).json() == before


async def test_an_update_without_time_zone_is_a_bad_request(
    portal: tuple[PortalAdapter, HoSoMC, httpx.AsyncClient],
) -> None:
    adapter, dossier, _ = portal
    with pytest.raises(BadRequest, match="updated_at"):
        await adapter.handle(
            envelope("CapNhatTienDoHoSoMC", update(dossier, 2, 1, updated_at="2025-01-05T09:30:00"))
        )


@pytest.mark.slow
async def test_portal_adapter_passes_every_applicable_conformance_check() -> None:
    report = await check_target("adapters.portal:create_adapter")
    assert report.ok, report.model_dump_json(indent=1)
    statuses = {result.name: result.status for result in report.results}
    assert {name for name, status in statuses.items() if status != "pass"} == {
        "maps_soap_fault",
        "no_credentials_in_logs",
    }
