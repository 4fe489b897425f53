"""The social-insurance mock: a TE card for a child under six only, survivor benefits of the insured;
deadlines, replays, refusals with the system's own codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from services.casework import sixth_birthday_eve
from services.clock import VIETNAM_TIME
from services.insurance import InsuranceSettings, create_app
from tests.services.agency_people import Family, family
from vn_calendar import WorkingCalendar, vietnam_today


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def insurance(people: Family) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        people.population, settings=InsuranceSettings(late_rate=0, insured_share=1.0), latency=False
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bhxh") as client:
        yield client


def card_request(people: Family, code: str = "H31.29-20261207-0001", **changes: Any) -> dict[str, Any]:
    child = people.child
    return {
        "maHoSo": code,
        "soDinhDanh": child.id_number,
        "hoTen": child.full_name,
        "ngaySinh": child.birth_date.strftime("%d/%m/%Y"),
        "gioiTinh": 1,
        "nguoiGiamHo": {
            "hoTen": people.mother.full_name,
            "soDinhDanh": people.mother.id_number,
            "quanHe": "Mẹ",
        },
    } | changes


def survivor_request(people: Family, code: str = "H31.29-20261207-0005") -> dict[str, Any]:
    return {
        "maHoSo": code,
        "nguoiChet": {
            "soDinhDanh": people.head.id_number,
            "hoTen": people.head.full_name,
            "ngayChet": vietnam_today().strftime("%d/%m/%Y"),
        },
        "nguoiNhan": {
            "hoTen": people.mother.full_name,
            "soDinhDanh": people.mother.id_number,
            "quanHe": "Vợ",
        },
    }


def vn_time(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=VIETNAM_TIME)


async def test_a_childs_card_is_numbered_te1_and_valid_until_the_day_before_the_sixth_birthday(
    insurance: httpx.AsyncClient, people: Family
) -> None:
    answer = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people))
    assert answer.status_code == 201, answer.text
    dossier = answer.json()
    assert dossier["trangThai"] == 1 and dossier["theBhyt"] is None
    due = WorkingCalendar().add_working_days(vn_time(dossier["ngayTiepNhan"]), 2)
    assert vn_time(dossier["ngayHenTra"]) == due
    await insurance.post("/_control/clock/advance", json={"hours": 24 * 7})
    card = (await insurance.get("/api/v1/hoso/H31.29-20261207-0001")).json()["theBhyt"]
    assert card["soTheBhyt"] == f"TE131{card['maSoBhxh']}" and len(card["soTheBhyt"]) == 15
    assert card["maSoBhxh"].startswith("31") and len(card["maSoBhxh"]) == 10
    assert card["giaTriTu"] == people.child.birth_date.strftime("%d/%m/%Y")
    assert card["giaTriDen"] == sixth_birthday_eve(people.child.birth_date).strftime("%d/%m/%Y")
    assert (await insurance.get(f"/api/v1/bhyt/the/{people.child.id_number}")).json() == card


async def test_a_child_of_six_or_more_is_refused_and_nothing_is_recorded(
    insurance: httpx.AsyncClient, people: Family
) -> None:
    older = people.school_child
    body = card_request(
        people,
        soDinhDanh=older.id_number,
        hoTen=older.full_name,
        ngaySinh=older.birth_date.strftime("%d/%m/%Y"),
        gioiTinh=1 if older.sex == "M" else 2,
    )
    answer = await insurance.post("/api/v1/bhyt/the-tre-em", json=body)
    assert answer.status_code == 422 and answer.json()["maLoi"] == "NGOAI_DOI_TUONG"
    assert answer.json()["truong"] == "ngaySinh"
    assert (await insurance.get("/_control/effects")).json()["the_bhyt_tre_em"] == 0


def test_the_card_ends_the_day_before_the_sixth_birthday_even_for_a_leap_day_birth() -> None:
    # born on 29 February: six on 28 February of the common year 2030 (vn_calendar.ages), as the bus's
    # input check counts it; six on the 29th itself in a leap year
    assert sixth_birthday_eve(date(2024, 2, 29)) == date(2030, 2, 27)
    assert sixth_birthday_eve(date(2022, 2, 28)) == date(2028, 2, 27)
    assert sixth_birthday_eve(date(2020, 2, 29)) == date(2026, 2, 27)
    assert sixth_birthday_eve(date(2018, 2, 28)) == date(2024, 2, 27)
    assert sixth_birthday_eve(date(2026, 12, 1)) == date(2032, 11, 30)
    assert sixth_birthday_eve(date(2026, 1, 1)) == date(2031, 12, 31)


async def test_a_repeated_card_request_is_a_replay_and_another_dossier_for_the_child_a_refusal(
    insurance: httpx.AsyncClient, people: Family
) -> None:
    first = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people))
    again = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people))
    assert again.status_code == 200 and again.headers["X-Idempotent-Replay"] == "true"
    assert again.json()["maHoSoBhxh"] == first.json()["maHoSoBhxh"]
    other = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people, "H31.29-20261207-0002"))
    assert other.status_code == 409 and other.json()["maLoi"] == "DA_CO_THE_BHYT"
    changed = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people, maCskcb="31002"))
    assert changed.status_code == 409 and changed.json()["maLoi"] == "TRUNG_MA_HO_SO"
    assert (await insurance.get("/_control/effects")).json()["the_bhyt_tre_em"] == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"soDinhDanh": "031226000001"}, 404, "KHONG_TIM_THAY_NHAN_THAN"),
        ({"hoTen": "Trần Văn Khác"}, 422, "SAI_THONG_TIN_NHAN_THAN"),
        ({"gioiTinh": 2}, 422, "SAI_THONG_TIN_NHAN_THAN"),
        ({"ngaySinh": "2026-12-01"}, 422, "DU_LIEU_KHONG_HOP_LE"),
    ],
)
async def test_invalid_card_requests_are_refused_with_the_systems_code(
    insurance: httpx.AsyncClient, people: Family, change: dict[str, Any], status: int, code: str
) -> None:
    answer = await insurance.post("/api/v1/bhyt/the-tre-em", json=card_request(people, **change))
    assert answer.status_code == status and answer.json()["maLoi"] == code, answer.text


async def test_a_survivor_benefit_is_settled_from_the_deceased_contribution_record(
    insurance: httpx.AsyncClient, people: Family
) -> None:
    answer = await insurance.post("/api/v1/chedo/tu-tuat", json=survivor_request(people))
    assert answer.status_code == 201, answer.text
    await insurance.post("/_control/clock/advance", json={"hours": 24 * 20})
    benefit = (await insurance.get("/api/v1/hoso/H31.29-20261207-0005")).json()["cheDoTuTuat"]
    assert benefit["soNamDong"] >= 1 and benefit["nguoiNhan"] == people.mother.full_name
    if benefit["loaiTroCap"] == 1:
        assert benefit["mucHuongThang"] == 1_170_000 and benefit["soNamDong"] >= 15
    else:
        assert benefit["soTienMotLan"] > 0 and benefit["soNamDong"] < 15
    again = await insurance.post(
        "/api/v1/chedo/tu-tuat", json=survivor_request(people, "H31.29-20261207-0006")
    )
    assert again.status_code == 409 and again.json()["maLoi"] == "DA_GIAI_QUYET_CHE_DO"


async def test_a_person_who_never_contributed_gets_no_survivor_benefit(people: Family) -> None:
    app = create_app(people.population, settings=InsuranceSettings(insured_share=0.0), latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bhxh") as insurance:
        answer = await insurance.post("/api/v1/chedo/tu-tuat", json=survivor_request(people))
        assert answer.status_code == 422 and answer.json()["maLoi"] == "KHONG_CO_QUA_TRINH_DONG"
