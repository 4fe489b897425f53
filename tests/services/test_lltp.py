"""The judicial-records mock: certificate requests verified over working days, polled one by one or in
batches, issued (9) or refused (10), revoked (11); the two certificate types; replays and refusals."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.citizens import Citizen
from services.clock import VIETNAM_TIME
from services.lltp import LltpSettings, create_app
from tests.services.agency_people import Family, family
from vn_calendar import WorkingCalendar, vietnam_today

CODE = "H31.29-20261207-0003"


@pytest.fixture
def people() -> Family:
    return family()


def app_for(people: Family, **settings: Any) -> FastAPI:
    base: dict[str, Any] = {"late_rate": 0.0, "refusal_rate": 0.0, "conviction_rate": 0.0}
    return create_app(people.population, settings=LltpSettings(**(base | settings)), latency=False)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lltp")


@pytest.fixture
async def lltp(people: Family) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app_for(people)) as lltp:
        yield lltp


def form(person: Citizen, code: str = CODE, kind: int = 1, **changes: Any) -> dict[str, Any]:
    toKhai = {
        "loaiPhieu": kind,
        "mucDich": "Bổ sung hồ sơ xin việc",
        "soLuongCap": 1,
        "hoTen": person.full_name,
        "gioiTinh": 1 if person.sex == "M" else 2,
        "ngaySinh": person.birth_date.strftime("%d/%m/%Y"),
        "noiSinh": "Hải Phòng",
        "soGiayTo": person.id_number,
        "ngayCapGiayTo": "10/05/2021",
        "noiCapGiayTo": "Cục Cảnh sát QLHC về TTXH",
        "noiThuongTru": person.permanent_address.detail,
        "quaTrinhCuTru": [{"tuNgay": "08/2004", "noiCuTru": "Lạch Tray, Ngô Quyền, Hải Phòng"}],
        "ngayHenTra": (vietnam_today() + timedelta(days=21)).strftime("%d/%m/%Y"),
    } | changes
    return {"maTinh": "31", "maHoSoMCDT": code, "nguonDangKy": 3, "toKhai": toKhai}


def vn_time(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=VIETNAM_TIME)


async def test_a_request_is_received_with_a_ten_working_day_deadline_and_issued_after_verification(
    lltp: httpx.AsyncClient, people: Family
) -> None:
    answer = await lltp.post("/api/lltp/dangky", json=form(people.mother))
    assert answer.status_code == 201, answer.text
    received = answer.json()
    assert received["trangThai"] == 1 and received["ketQua"] is None
    received_on = vn_time(received["ngayTiepNhan"])
    assert vn_time(received["hanXuLy"]) == WorkingCalendar().add_working_days(received_on, 10)
    await lltp.post("/_control/clock/advance", json={"hours": 24 * 20})
    result = (await lltp.get(f"/api/lltp/ketqua/{CODE}")).json()
    assert [step["trangThai"] for step in result["lichSu"]] == [1, 2, 3, 9]
    certificate = result["ketQua"]
    assert certificate["soPhieuLLTP"].endswith("/LLTP-31") and certificate["loaiPhieu"] == 1
    assert certificate["tinhTrangAnTich"] == "Không có án tích"
    pdf = base64.b64decode(certificate["tepPhieu"])
    assert pdf.startswith(b"%PDF-1.4") and hashlib.sha256(pdf).hexdigest() == certificate["maBamPhieu"]
    served = await lltp.get(certificate["urlPhieu"])
    assert served.headers["content-type"] == "application/pdf" and served.content == pdf


async def test_a_person_who_lived_in_another_province_waits_fifteen_working_days(
    lltp: httpx.AsyncClient, people: Family
) -> None:
    places = [
        {"tuNgay": "08/2004", "denNgay": "06/2012", "noiCuTru": "Cầu Giấy, Hà Nội"},
        {"tuNgay": "07/2012", "noiCuTru": "Lạch Tray, Ngô Quyền, Hải Phòng"},
    ]
    received = (await lltp.post("/api/lltp/dangky", json=form(people.mother, quaTrinhCuTru=places))).json()
    received_on = vn_time(received["ngayTiepNhan"])
    assert vn_time(received["hanXuLy"]) == WorkingCalendar().add_working_days(received_on, 15)


async def test_a_refused_request_ends_at_status_10_with_a_reason_and_no_certificate(people: Family) -> None:
    async with client(app_for(people, refusal_rate=1.0)) as lltp:
        await lltp.post("/api/lltp/dangky", json=form(people.mother))
        await lltp.post("/_control/clock/advance", json={"hours": 24 * 20})
        result = (await lltp.get(f"/api/lltp/ketqua/{CODE}")).json()
        assert result["trangThai"] == 10 and result["lyDoTuChoi"] and result["ketQua"] is None
        assert (await lltp.get(f"/api/lltp/phieu/{CODE}/pdf")).status_code == 404


async def test_certificate_no_1_hides_expunged_convictions_and_no_2_shows_them(people: Family) -> None:
    app = app_for(people, conviction_rate=1.0)
    office = app.state.lltp
    candidates = [people.mother, people.head, people.adult, people.elder]
    person = next(c for c in candidates if office.convictions_of(c)[0].daXoaAnTich)
    async with client(app) as lltp:
        await lltp.post("/api/lltp/dangky", json=form(person, "LLTP-SO-1", kind=1))
        await lltp.post("/api/lltp/dangky", json=form(person, "LLTP-SO-2", kind=2))
        await lltp.post("/_control/clock/advance", json={"hours": 24 * 20})
        first = (await lltp.get("/api/lltp/ketqua/LLTP-SO-1")).json()["ketQua"]
        second = (await lltp.get("/api/lltp/ketqua/LLTP-SO-2")).json()["ketQua"]
    assert first["tinhTrangAnTich"] == "Không có án tích" and first["noiDungAnTich"] == []
    assert second["tinhTrangAnTich"] == "Có án tích" and second["noiDungAnTich"][0]["daXoaAnTich"] is True


async def test_an_issued_certificate_is_revoked_once_and_the_same_decision_is_a_replay(
    lltp: httpx.AsyncClient, people: Family
) -> None:
    decision = {
        "soQuyetDinh": "12/QĐ-STP",
        "ngayQuyetDinh": "05/01/2027",
        "lyDo": "Cấp sai",
        "nguoiKy": "Lê Văn An",
    }
    await lltp.post("/api/lltp/dangky", json=form(people.mother))
    early = await lltp.post(f"/api/lltp/thuhoi/{CODE}", json=decision)
    assert early.status_code == 409 and early.json()["maLoi"] == "CHUA_CAP_PHIEU"
    await lltp.post("/_control/clock/advance", json={"hours": 24 * 20})
    revoked = await lltp.post(f"/api/lltp/thuhoi/{CODE}", json=decision)
    assert revoked.status_code == 201 and revoked.json()["trangThai"] == 11
    assert revoked.json()["thuHoi"]["soQuyetDinh"] == "12/QĐ-STP"
    again = await lltp.post(f"/api/lltp/thuhoi/{CODE}", json=decision)
    assert again.status_code == 200 and again.headers["X-Idempotent-Replay"] == "true"
    other = await lltp.post(f"/api/lltp/thuhoi/{CODE}", json=decision | {"soQuyetDinh": "13/QĐ-STP"})
    assert other.status_code == 409 and other.json()["maLoi"] == "DA_THU_HOI"
    assert (await lltp.get(f"/api/lltp/phieu/{CODE}/pdf")).status_code == 404
    assert (await lltp.get("/_control/effects")).json() == {"dang_ky": 1, "thu_hoi": 1}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"maTinh": "01"}, "SAI_MA_TINH", "maTinh"),
        ({"toKhai": {"hoTen": "Trần Văn Khác"}}, "THONG_TIN_KHONG_KHOP", "toKhai.hoTen"),
        ({"toKhai": {"loaiPhieu": 2, "nguoiUyQuyen": {"hoTen": "Lê Văn An", "soGiayTo": "031090000001",
                                                     "quanHe": "Anh"}}},
         "PHIEU_SO_2_KHONG_DUOC_UY_QUYEN", "toKhai.nguoiUyQuyen"),
        ({"toKhai": {"ngayHenTra": "01/01/2020"}}, "NGAY_HEN_TRA_KHONG_HOP_LE", "toKhai.ngayHenTra"),
        ({"toKhai": {"loaiPhieu": 3}}, "DU_LIEU_KHONG_HOP_LE", "toKhai.loaiPhieu"),
    ],
)  # fmt: skip
async def test_invalid_requests_are_refused_with_the_systems_code_and_change_nothing(
    lltp: httpx.AsyncClient, people: Family, change: dict[str, Any], code: str, field: str
) -> None:
    body = form(people.mother)
    body = body | {k: v for k, v in change.items() if k != "toKhai"}
    body["toKhai"] = body["toKhai"] | change.get("toKhai", {})
    answer = await lltp.post("/api/lltp/dangky", json=body)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["maLoi"], answer.json()["truong"]) == (code, field)
    assert (await lltp.get("/_control/effects")).json()["dang_ky"] == 0


async def test_a_repeated_request_is_a_replay_and_a_changed_one_a_conflict(
    lltp: httpx.AsyncClient, people: Family
) -> None:
    first = await lltp.post("/api/lltp/dangky", json=form(people.mother))
    again = await lltp.post("/api/lltp/dangky", json=form(people.mother))
    assert again.status_code == 200 and again.json()["maHoSoLLTP"] == first.json()["maHoSoLLTP"]
    changed = await lltp.post("/api/lltp/dangky", json=form(people.mother, soLuongCap=2))
    assert changed.status_code == 409 and changed.json()["truong"] == "maHoSoMCDT"


async def test_a_batch_poll_answers_known_codes_without_pdfs_and_lists_unknown_ones(
    lltp: httpx.AsyncClient, people: Family
) -> None:
    await lltp.post("/api/lltp/dangky", json=form(people.mother))
    await lltp.post("/_control/clock/advance", json={"hours": 24 * 20})
    batch = (
        await lltp.post("/api/lltp/ketqua", json={"maTinh": "31", "danhSachMaHoSo": [CODE, "KHONG-CO"]})
    ).json()
    assert [r["maHoSoMCDT"] for r in batch["ketQua"]] == [CODE] and batch["khongTimThay"] == ["KHONG-CO"]
    assert batch["ketQua"][0]["ketQua"]["tepPhieu"] is None
    too_many = {"maTinh": "31", "danhSachMaHoSo": [f"HS-{i:05d}" for i in range(1001)]}
    assert (await lltp.post("/api/lltp/ketqua", json=too_many)).status_code == 422


async def issue_days(
    people: Family, count: int, changes: dict[str, Any] | None = None, **settings: Any
) -> list[tuple[datetime, datetime, datetime]]:
    """(received, issued, appointment) of `count` requests (their form with `changes`), after 40 days of
    the mock's clock."""
    codes = [f"H31.29-20261207-{i:04d}" for i in range(count)]
    async with client(app_for(people, **settings)) as lltp:
        for code in codes:
            filed = await lltp.post("/api/lltp/dangky", json=form(people.mother, code, **(changes or {})))
            assert filed.status_code == 201, filed.text
        await lltp.post("/_control/clock/advance", json={"hours": 24 * 40})
        batch = (await lltp.post("/api/lltp/ketqua", json={"maTinh": "31", "danhSachMaHoSo": codes})).json()
    return [
        (vn_time(r["ngayTiepNhan"]), vn_time(r["lichSu"][-1]["thoiDiem"]), vn_time(r["hanXuLy"]))
        for r in batch["ketQua"]
    ]


def working_days_from(calendar: WorkingCalendar, received: datetime, issued: datetime) -> int:
    """Working days from the day `received` counts from to the day `issued`."""
    day, days = calendar.counting_day(received), 0
    while day < issued.date():
        day, days = calendar.next_working_day(day), days + 1
    return days


async def test_verification_leaves_the_return_days_of_the_period_but_for_a_seeded_late_share(
    people: Family,
) -> None:
    calendar = WorkingCalendar()
    drawn = await issue_days(people, 400, late_rate=0.05, return_days=3)
    on_time = [(received, issued) for received, issued, due in drawn if issued <= due]
    late = [issued for _, issued, due in drawn if issued > due]
    assert 0.02 <= len(late) / len(drawn) <= 0.09  # the seeded 5 %, give or take the draw
    assert all(issued <= calendar.add_working_days(received, 7) for received, issued in on_time)
    days_taken = {working_days_from(calendar, received, issued) for received, issued in on_time}
    assert min(days_taken) >= 3 and len(days_taken) >= 3  # a few days to most of the period, spread out
    again = await issue_days(people, 400, late_rate=0.05, return_days=3)
    other_seed = await issue_days(people, 400, late_rate=0.05, return_days=3, seed=7)

    def taken(runs: list[tuple[datetime, datetime, datetime]]) -> list[int]:
        return [working_days_from(calendar, received, issued) for received, issued, _ in runs]

    assert taken(again) == taken(drawn) and taken(other_seed) != taken(drawn)  # deterministic from the seed


async def test_the_one_stops_sooner_appointment_bounds_the_verification(people: Family) -> None:
    """The one-stop received the request (and its fee) days before us: its appointment comes first."""
    calendar = WorkingCalendar()
    appointment = calendar.add_working_days(datetime.now(VIETNAM_TIME), 6).date()
    changes = {"ngayHenTra": appointment.strftime("%d/%m/%Y")}
    drawn = await issue_days(people, 100, changes, late_rate=0.0, return_days=3)
    for _, issued, _ in drawn:  # 3 working days after the issuing day to return it by the appointment
        assert calendar.working_days_after(issued.date(), 3) <= appointment, (issued, appointment)
