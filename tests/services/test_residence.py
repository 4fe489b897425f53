"""The residence-database mock: newborns join a household, the deceased are removed; deadlines, replays,
refusals with the system's own codes, injected faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from services.residence import ResidenceSettings, create_app
from tests.services.agency_people import Family, family
from vn_calendar import WorkingCalendar

API = "/api/v1/cutru"


@pytest.fixture
def people() -> Family:
    return family()


async def client_for(people: Family, **settings: Any) -> httpx.AsyncClient:
    app = create_app(people.population, settings=ResidenceSettings(**settings), latency=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://residence")


@pytest.fixture
async def residence(people: Family) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(people, verification_rate=0.0, late_rate=0.0) as client:
        yield client


def newborn(people: Family, code: str = "H31.29-20261207-0001", **changes: Any) -> dict[str, Any]:
    child = people.child
    return {
        "maHoSo": code,
        "nguoiDangKy": {
            "soDinhDanh": child.id_number,
            "hoTen": child.full_name,
            "ngaySinh": child.birth_date.isoformat(),
            "gioiTinh": 1,
        },
        "chuHo": {"soDinhDanh": people.head.id_number, "hoTen": people.head.full_name},
        "soSoHoKhau": people.mother.household.book_number,
        "nguoiKeKhai": {
            "hoTen": people.mother.full_name,
            "soDinhDanh": people.mother.id_number,
            "quanHe": "Mẹ",
        },
    } | changes


def removal(people: Family, code: str = "H31.29-20261207-0009", died: str | None = None) -> dict[str, Any]:
    died = died or datetime.now().date().isoformat()
    return {
        "maHoSo": code,
        "soDinhDanh": people.elder.id_number,
        "hoTen": people.elder.full_name,
        "ngayChet": died,
        "trichLucKhaiTu": {"so": "15/2026", "ngayCap": died, "coQuanCap": "UBND phường Lạch Tray"},
        "nguonYeuCau": 1,
    }


async def effects(client: httpx.AsyncClient) -> dict[str, int]:
    answer: dict[str, int] = (await client.get("/_control/effects")).json()
    return answer


async def advance(client: httpx.AsyncClient, hours: float) -> None:
    assert (await client.post("/_control/clock/advance", json={"hours": hours})).status_code == 200


def due_after(received: str, days: int) -> str:
    return WorkingCalendar().add_working_days(datetime.fromisoformat(received), days).isoformat()


async def test_a_newborn_is_received_with_an_appointment_two_working_days_ahead(
    residence: httpx.AsyncClient, people: Family
) -> None:
    answer = await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    assert answer.status_code == 201, answer.text
    dossier = answer.json()
    assert dossier["trangThai"] == 1 and dossier["tenTrangThai"] == "Đã tiếp nhận"
    assert dossier["ngayHenTra"] == due_after(dossier["ngayTiepNhan"], 2)
    assert dossier["ketQua"] is None and dossier["canXacMinh"] is False
    status = (await residence.get(f"{API}/congdan/{people.child.id_number}")).json()
    assert status["tinhTrangCuTru"] == "CHUA_DANG_KY"


async def test_once_done_the_child_lives_in_the_household_of_the_book(
    residence: httpx.AsyncClient, people: Family
) -> None:
    await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    await advance(residence, 24 * 7)
    dossier = (await residence.get(f"{API}/hoso/H31.29-20261207-0001")).json()
    assert dossier["trangThai"] == 4 and [s["trangThai"] for s in dossier["lichSu"]] == [1, 3, 4]
    assert dossier["ngayHoanThanh"] <= dossier["ngayHenTra"]
    assert dossier["ketQua"]["soSoHoKhau"] == people.mother.household.book_number
    assert dossier["ketQua"]["chuHo"] == people.head.full_name
    status = (await residence.get(f"{API}/congdan/{people.child.id_number}")).json()
    assert status["tinhTrangCuTru"] == "THUONG_TRU"
    assert status["noiThuongTru"] == people.head.permanent_address.detail


async def test_a_repeated_request_is_answered_with_the_first_dossier_and_counted_once(
    residence: httpx.AsyncClient, people: Family
) -> None:
    first = await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    again = await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    assert again.status_code == 200 and again.headers["X-Idempotent-Replay"] == "true"
    assert again.json()["maHoSoCuTru"] == first.json()["maHoSoCuTru"]
    other = newborn(people, quanHeVoiChuHo="CH07")
    conflict = await residence.post(f"{API}/dangkythuongtru", json=other)
    assert conflict.status_code == 409 and conflict.json()["maLoi"] == "TRUNG_MA_HO_SO"
    assert (await effects(residence))["dang_ky_thuong_tru"] == 1


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"soSoHoKhau": "999999999"}, 404, "HO_KHONG_TON_TAI", "soSoHoKhau"),
        (
            {"chuHo": {"soDinhDanh": "031088000001", "hoTen": "Không Có"}},
            404,
            "HO_KHONG_TON_TAI",
            "soSoHoKhau",
        ),
        (
            {
                "nguoiDangKy": {
                    "soDinhDanh": "031226000001",
                    "hoTen": "Lê Văn A",
                    "ngaySinh": "2026-12-01",
                    "gioiTinh": 1,
                }
            },
            404,
            "CONG_DAN_KHONG_TON_TAI",
            "nguoiDangKy.soDinhDanh",
        ),
        ({"maHoSo": "x"}, 422, "DU_LIEU_KHONG_HOP_LE", "maHoSo"),
        (
            {
                "nguoiDangKy": {
                    "soDinhDanh": "000000000000",
                    "hoTen": "A B",
                    "ngaySinh": "2026-12-01",
                    "gioiTinh": 1,
                }
            },
            422,
            "DU_LIEU_KHONG_HOP_LE",
            "nguoiDangKy.soDinhDanh",
        ),
    ],
)
async def test_invalid_registrations_are_refused_with_the_systems_code_and_change_nothing(
    residence: httpx.AsyncClient, people: Family, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    answer = await residence.post(f"{API}/dangkythuongtru", json=newborn(people) | change)
    assert answer.status_code == status, answer.text
    assert answer.json()["maLoi"] == code and answer.json()["truong"] == field
    assert (await effects(residence))["dang_ky_thuong_tru"] == 0


async def test_a_name_unlike_the_population_record_is_refused(
    residence: httpx.AsyncClient, people: Family
) -> None:
    body = newborn(people)
    body["nguoiDangKy"]["hoTen"] = "Trần Văn Khác"
    answer = await residence.post(f"{API}/dangkythuongtru", json=body)
    assert answer.status_code == 422 and answer.json()["maLoi"] == "THONG_TIN_KHONG_KHOP"


async def test_a_child_registered_once_cannot_be_registered_again_under_another_dossier(
    residence: httpx.AsyncClient, people: Family
) -> None:
    await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    answer = await residence.post(f"{API}/dangkythuongtru", json=newborn(people, "H31.29-20261207-0002"))
    assert answer.status_code == 409 and answer.json()["maLoi"] == "DA_DANG_KY_THUONG_TRU"


async def test_a_household_of_neither_parent_is_refused(residence: httpx.AsyncClient, people: Family) -> None:
    stranger = people.adult
    head = people.population.citizen(stranger.household.head_id_number)
    assert head is not None and stranger.household.book_number != people.mother.household.book_number
    body = newborn(people, soSoHoKhau=stranger.household.book_number)
    body["chuHo"] = {"soDinhDanh": head.id_number, "hoTen": head.full_name}
    answer = await residence.post(f"{API}/dangkythuongtru", json=body)
    assert answer.status_code == 422 and answer.json()["maLoi"] == "KHONG_CUNG_HO_CHA_ME"


async def test_verification_stretches_the_appointment_to_five_working_days(people: Family) -> None:
    async with await client_for(people, verification_rate=1.0, late_rate=0.0) as residence:
        dossier = (await residence.post(f"{API}/dangkythuongtru", json=newborn(people))).json()
        assert dossier["canXacMinh"] is True
        assert dossier["ngayHenTra"] == due_after(dossier["ngayTiepNhan"], 5)
        await advance(residence, 24 * 12)
        done = (await residence.get(f"{API}/hoso/H31.29-20261207-0001")).json()
        assert [s["trangThai"] for s in done["lichSu"]] == [1, 2, 3, 4]
        assert (await effects(residence))["can_xac_minh"] == 1


async def test_a_deceased_persons_residence_is_removed_within_one_working_day_and_once_only(
    residence: httpx.AsyncClient, people: Family
) -> None:
    answer = await residence.post(f"{API}/xoadangkythuongtru", json=removal(people))
    assert answer.status_code == 201, answer.text
    assert answer.json()["ngayHenTra"] == due_after(answer.json()["ngayTiepNhan"], 1)
    await advance(residence, 24 * 5)
    done = (await residence.get(f"{API}/hoso/H31.29-20261207-0009")).json()
    assert done["trangThai"] == 4 and done["ketQua"]["tinhTrangCuTru"] == "DA_XOA_DANG_KY_THUONG_TRU"
    status = (await residence.get(f"{API}/congdan/{people.elder.id_number}")).json()
    assert status["tinhTrangCuTru"] == "DA_XOA_DANG_KY_THUONG_TRU"
    again = await residence.post(f"{API}/xoadangkythuongtru", json=removal(people, "H31.29-20261207-0010"))
    assert again.status_code == 409 and again.json()["maLoi"] == "DA_XOA_DANG_KY"
    assert (await effects(residence))["xoa_dang_ky_thuong_tru"] == 1


async def test_a_stalled_removal_stays_in_processing_and_the_person_resident_for_ever(people: Family) -> None:
    async with await client_for(people, removal_stall_rate=1.0, late_rate=0.0) as residence:
        answer = await residence.post(f"{API}/xoadangkythuongtru", json=removal(people))
        assert answer.status_code == 201, answer.text
        assert answer.json()["ngayHenTra"] == due_after(answer.json()["ngayTiepNhan"], 1)
        await advance(residence, 24 * 365)
        dossier = (await residence.get(f"{API}/hoso/H31.29-20261207-0009")).json()
        assert [s["trangThai"] for s in dossier["lichSu"]] == [1, 3]
        assert dossier["ngayHoanThanh"] is None and dossier["ketQua"] is None
        status = (await residence.get(f"{API}/congdan/{people.elder.id_number}")).json()
        assert status["tinhTrangCuTru"] == "THUONG_TRU"
        assert (await effects(residence))["xoa_dang_ky_thuong_tru"] == 1


async def test_an_event_driven_removal_needs_no_extract_but_the_population_databases_record_of_the_death(
    residence: httpx.AsyncClient, people: Family
) -> None:
    event = {k: v for k, v in removal(people).items() if k != "trichLucKhaiTu"} | {"nguonYeuCau": 2}
    unrecorded = await residence.post(f"{API}/xoadangkythuongtru", json=event)
    assert unrecorded.status_code == 422 and unrecorded.json()["maLoi"] == "CHUA_GHI_NHAN_KHAI_TU"
    declared = await residence.post(f"{API}/xoadangkythuongtru", json=event | {"nguonYeuCau": 1})
    assert declared.status_code == 422 and "trichLucKhaiTu" in declared.json()["thongBao"]
    assert (await effects(residence))["xoa_dang_ky_thuong_tru"] == 0

    people.population.record_death(people.elder.id_number, date.fromisoformat(str(event["ngayChet"])))
    answer = await residence.post(f"{API}/xoadangkythuongtru", json=event)
    assert answer.status_code == 201, answer.text
    assert answer.json()["ngayHenTra"] == due_after(answer.json()["ngayTiepNhan"], 1)


async def test_a_death_in_the_future_is_refused(residence: httpx.AsyncClient, people: Family) -> None:
    answer = await residence.post(f"{API}/xoadangkythuongtru", json=removal(people, died="2099-01-01"))
    assert answer.status_code == 422 and answer.json()["truong"] == "ngayChet"


async def test_an_unknown_dossier_is_a_404_with_the_systems_code(residence: httpx.AsyncClient) -> None:
    answer = await residence.get(f"{API}/hoso/H31.29-20261207-0404")
    assert answer.status_code == 404 and answer.json()["maLoi"] == "HO_SO_KHONG_TON_TAI"


async def test_an_injected_outage_answers_503_and_records_nothing(
    residence: httpx.AsyncClient, people: Family
) -> None:
    assert (await residence.patch("/_control/faults", json={"outage": True})).status_code == 200
    answer = await residence.post(f"{API}/dangkythuongtru", json=newborn(people))
    assert answer.status_code == 503 and answer.headers["x-fault-injected"]
    await residence.post("/_control/faults/reset")
    assert (await effects(residence))["dang_ky_thuong_tru"] == 0
    assert (await residence.post(f"{API}/dangkythuongtru", json=newborn(people))).status_code == 201
