"""The portal's interconnected-service dossiers (Decree 63/2024): statuses 1-7 in their allowed order,
a repeated status answered "already exists", the appointment kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.citizens import Population
from services.portal import PortalSettings, create_app

NUMBER = "H31.29-20261207-0001"


@pytest.fixture
async def portal() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(PortalSettings(gateway_url="http://127.0.0.1:9"), population=Population(size=1000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as client:
        yield client


def push(status: int, at: str, **extra: Any) -> dict[str, Any]:
    return {"maHoSo": NUMBER, "trangThai": status, "thoiGian": at, "noiDung": f"Trạng thái {status}"} | extra


async def test_a_birth_bundle_runs_through_the_interconnected_statuses(portal: httpx.AsyncClient) -> None:
    steps = [
        push(1, "20261207080000", maThuTucLienThong="KS-TT-BHYT", ngayHenTra="20261210170000"),
        push(3, "20261207083000"),
        push(7, "20261207090000", coQuanXuLy="UBND phường Lạch Tray"),
        push(4, "20261207150000"),
        push(7, "20261207151000", coQuanXuLy="Công an phường Lạch Tray"),
        push(4, "20261209100000"),
        push(5, "20261209110000"),
    ]
    for step in steps:
        answer = await portal.post("/api/lienthong/DongBoTrangThai", json=step)
        assert answer.status_code == 200, answer.text
        assert answer.json()["error_code"] == "0"
    dossier = (await portal.get("/api/lienthong/TraCuu", params={"maHoSo": NUMBER})).json()
    assert dossier["trangThai"] == 5 and dossier["tenTrangThai"] == "Đã trả kết quả"
    assert dossier["ngayHenTra"] == "20261210170000"
    assert [s["trangThai"] for s in dossier["lichSu"]] == [1, 3, 7, 4, 7, 4, 5]


async def test_a_repeated_status_is_answered_already_exists_and_recorded_once(
    portal: httpx.AsyncClient,
) -> None:
    await portal.post("/api/lienthong/DongBoTrangThai", json=push(1, "20261207080000"))
    again = await portal.post("/api/lienthong/DongBoTrangThai", json=push(1, "20261207080000"))
    assert again.status_code == 409 and again.json()["error_code"] == "DA_TON_TAI"
    dossier = (await portal.get("/api/lienthong/TraCuu", params={"maHoSo": NUMBER})).json()
    assert len(dossier["lichSu"]) == 1


@pytest.mark.parametrize(
    ("pushes", "status", "code"),
    [
        ([push(3, "20261207080000")], 404, "HOSO_KHONG_TON_TAI"),
        ([push(1, "20261207080000"), push(5, "20261207090000")], 409, "CHUYEN_TRANG_THAI_KHONG_HOP_LE"),
        ([push(1, "20261207080000"), push(6, "20261207090000"), push(3, "20261207100000")], 409,
         "CHUYEN_TRANG_THAI_KHONG_HOP_LE"),
        ([push(1, "20261207080000"), push(3, "20261207070000")], 422, "DU_LIEU_KHONG_HOP_LE"),
        ([push(8, "20261207080000")], 422, "DU_LIEU_KHONG_HOP_LE"),
    ],
)  # fmt: skip
async def test_out_of_order_or_unknown_statuses_are_refused(
    portal: httpx.AsyncClient, pushes: list[dict[str, Any]], status: int, code: str
) -> None:
    *before, last = pushes
    for step in before:
        assert (await portal.post("/api/lienthong/DongBoTrangThai", json=step)).status_code == 200
    answer = await portal.post("/api/lienthong/DongBoTrangThai", json=last)
    assert answer.status_code == status and answer.json()["error_code"] == code, answer.text


async def test_a_progress_update_may_carry_a_new_appointment_and_the_papers_asked_for(
    portal: httpx.AsyncClient,
) -> None:
    sent = await portal.post("/_control/portal/send", json={"count": 1, "rate_per_second": 100})
    number = sent.json()["dossiers"][0]
    update = {
        "MaHoSo": number,
        "TrangThaiHoSo": 5,
        "NgayCapNhat": "20991231080000",
        "NoiDung": "Yêu cầu bổ sung",
        "YeuCauBoSung": ["Giấy chứng sinh (bản chính)"],
        "NgayHenTra": "20991231170000",
    }
    answer = await portal.post("/api/CapNhatTienDoHoSoMC", json=update)
    assert answer.status_code == 200, answer.text
    dossier = (await portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()
    assert dossier["NgayHenTra"] == "20991231170000" and dossier["HoSo"]["NgayHenTra"] != "20991231170000"
    assert dossier["LichSuXuLy"][-1]["YeuCauBoSung"] == ["Giấy chứng sinh (bản chính)"]
