"""Births at the civil registry mock: ID issuing through the shared population, idempotency, validation."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from services.citizens import Citizen, Population, parse_id_number
from services.civil.app import create_app
from services.civil.settings import CivilSettings
from tests.support.vietnam_clock import clock_at
from vn_calendar import vietnam_today

KHAI_SINH = "/api/v1/hotich/khaisinh"
BOOK_FIELDS = (
    "so",
    "quyenSo",
    "trangSo",
    "ngayDangKy",
    "loaiDangKy",
    "noiDangKy",
    "nguoiKy",
    "chucVuNguoiKy",
)
CHILD_FIELDS = (
    "nksHoTen",
    "nksGioiTinh",
    "nksNgaySinh",
    "nksNoiSinh",
    "nksQueQuan",
    "nksDanToc",
    "nksQuocTich",
)
PARENT_FIELDS = (
    "HoTen",
    "NgaySinh",
    "DanToc",
    "QuocTich",
    "NoiCuTru",
    "LoaiGiayToTuyThan",
    "SoGiayToTuyThan",
)


def find_citizen(population: Population, wanted: Callable[[Citizen], bool], seed: int = 7) -> Citizen:
    """The first sampled citizen matching `wanted` (a bounded search)."""
    rng = random.Random(seed)
    for id_number in population.sample_ids(5000, rng):
        citizen = population.citizen(id_number)
        if citizen is not None and wanted(citizen):
            return citizen
    raise AssertionError("no matching citizen among 5000 sampled")


def age(citizen: Citizen, on: date) -> int:
    born = citizen.birth_date
    return on.year - born.year - int((on.month, on.day) < (born.month, born.day))


def parent(citizen: Citizen) -> dict[str, Any]:
    return {
        "HoTen": citizen.full_name,
        "NgaySinh": citizen.birth_date.isoformat(),
        "DanToc": "01",
        "QuocTich": "VN",
        "NoiCuTru": "Số 5 Lạch Tray, phường Lạch Tray, quận Ngô Quyền, Hải Phòng",
        "LoaiGiayToTuyThan": 2,
        "SoGiayToTuyThan": citizen.id_number,
    }


def birth_body(mother: Citizen, father: Citizen | None, ma_ho_so: str, **changes: Any) -> dict[str, Any]:
    today = vietnam_today()
    body: dict[str, Any] = {
        "maHoSo": ma_ho_so,
        "so": "125",
        "quyenSo": "01/2024",
        "trangSo": "42",
        "ngayDangKy": today.isoformat(),
        "loaiDangKy": 1,
        "noiDangKy": "UBND phường Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng",
        "nguoiKy": "Nguyễn Văn Hùng",
        "chucVuNguoiKy": "Phó Chủ tịch",
        "nguoiThucHien": "Trần Thị Mai",
        "nksHoTen": "Nguyễn Minh Khôi",
        "nksGioiTinh": 1,
        "nksNgaySinh": (today - timedelta(days=10)).isoformat(),
        "nksNoiSinh": "Bệnh viện Phụ sản Hải Phòng",
        "nksQueQuan": "Hải Phòng",
        "nksDanToc": "01",
        "nksQuocTich": "VN",
        "nksLoaiKhaiSinh": 1,
        "me": parent(mother),
        "cha": parent(father) if father else None,
        "nyc": {
            "HoTen": mother.full_name,
            "QuanHe": "Mẹ",
            "LoaiGiayToTuyThan": 2,
            "SoGiayToTuyThan": mother.id_number,
        },
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=200_000)


@pytest.fixture(scope="module")
def mother(population: Population) -> Citizen:
    return find_citizen(population, lambda c: c.sex == "F" and 20 <= age(c, vietnam_today()) <= 40)


@pytest.fixture(scope="module")
def father(population: Population) -> Citizen:
    return find_citizen(population, lambda c: c.sex == "M" and 22 <= age(c, vietnam_today()) <= 45)


def client_for(population: Population, pending_rate: float = 0.0) -> httpx.AsyncClient:
    app = create_app(population, latency=False, settings=CivilSettings(pending_rate=pending_rate))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://civil.test", timeout=10)


@pytest.fixture
async def civil(population: Population) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(population) as client:
        yield client


async def effects(client: httpx.AsyncClient) -> dict[str, int]:
    answer = await client.get("/_control/effects")
    assert answer.status_code == 200
    return dict(answer.json())


async def test_birth_issues_a_valid_id_number_that_the_shared_population_then_finds(
    civil: httpx.AsyncClient, population: Population, mother: Citizen, father: Citizen
) -> None:
    body = birth_body(mother, father, "H31.29-20240315-0001", nksGioiTinh=2, nksHoTen="Phạm Thị Ngọc Ánh")
    answer = await civil.post(KHAI_SINH, json=body)
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["trangThai"] == 1
    child_id = record["nksSoDinhDanh"]
    parts = parse_id_number(child_id)
    assert (parts.province_code, parts.sex, parts.birth_year) == (
        "031",
        "F",
        date.fromisoformat(body["nksNgaySinh"]).year,
    )
    child = population.citizen(child_id)
    assert child is not None
    assert child.full_name == "Phạm Thị Ngọc Ánh"
    assert child.birth_date.isoformat() == body["nksNgaySinh"]
    assert (await civil.get(f"/api/v1/hotich/congdan/{child_id}")).json()["hoSo"][0]["id"] == record["id"]


async def test_birth_record_uses_the_ministrys_field_names_on_the_wire(
    civil: httpx.AsyncClient, mother: Citizen, father: Citizen
) -> None:
    created = (await civil.post(KHAI_SINH, json=birth_body(mother, father, "H31.29-20240315-0002"))).json()
    answer = await civil.get(f"{KHAI_SINH}/{created['id']}")
    assert answer.status_code == 200
    data = answer.json()["duLieu"]
    assert set(BOOK_FIELDS + CHILD_FIELDS + ("maHoSo", "nguoiThucHien", "nksLoaiKhaiSinh")) <= set(data)
    assert set(PARENT_FIELDS) == set(data["me"]) == set(data["cha"])
    assert set(data["nyc"]) == {"HoTen", "QuanHe", "LoaiGiayToTuyThan", "SoGiayToTuyThan"}
    assert data["me"]["SoGiayToTuyThan"] == mother.id_number


async def test_registering_the_same_dossier_twice_returns_the_first_record_with_one_effect(
    civil: httpx.AsyncClient, population: Population, mother: Citizen
) -> None:
    body = birth_body(mother, None, "H31.29-20240315-0003")
    first = await civil.post(KHAI_SINH, json=body)
    again = await civil.post(KHAI_SINH, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["X-Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    assert (await effects(civil))["khaisinh"] == 1


async def test_same_dossier_number_with_a_different_body_is_409_and_changes_nothing(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0004"))
    before = await effects(civil)
    other = birth_body(mother, None, "H31.29-20240315-0004", nksHoTen="Lê Văn Tám")
    answer = await civil.post(KHAI_SINH, json=other)
    assert answer.status_code == 409
    assert answer.json()["maLoi"] == "TRUNG_MA_HO_SO"
    assert "H31.29-20240315-0004" in answer.json()["thongBao"]
    assert await effects(civil) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nksHoTen": ""}, "nksHoTen"),
        ({"nksGioiTinh": 5}, "nksGioiTinh"),
        ({"loaiDangKy": 3}, "loaiDangKy"),
        ({"nksNgaySinh": "31/12/2024"}, "nksNgaySinh"),
        ({"maHoSo": None}, "maHoSo"),
        ({"nksDanToc": "Kinh"}, "nksDanToc"),
        ({"unknownField": 1}, "unknownField"),
    ],
)
async def test_malformed_birth_is_422_naming_the_ministry_field_and_changes_nothing(
    civil: httpx.AsyncClient, mother: Citizen, change: dict[str, Any], field: str
) -> None:
    before = await effects(civil)
    answer = await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0005", **change))
    assert answer.status_code == 422
    body = answer.json()
    assert body["maLoi"] == "DU_LIEU_KHONG_HOP_LE"
    assert field in [item["truong"] for item in body["chiTiet"]]
    assert field in body["thongBao"]
    assert await effects(civil) == before


async def test_malformed_nested_parent_field_is_named_by_its_path(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    body = birth_body(mother, None, "H31.29-20240315-0006")
    body["me"]["SoGiayToTuyThan"] = "12-34"
    answer = await civil.post(KHAI_SINH, json=body)
    assert answer.status_code == 422
    assert [item["truong"] for item in answer.json()["chiTiet"]] == ["me.SoGiayToTuyThan"]


async def test_mother_unknown_to_the_population_is_rejected_naming_her_id_field(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    body = birth_body(mother, None, "H31.29-20240315-0007")
    body["me"]["SoGiayToTuyThan"] = "031" + "3" + "99" + "999999"
    answer = await civil.post(KHAI_SINH, json=body)
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "me.SoGiayToTuyThan"
    assert (await effects(civil))["khaisinh"] == 0


async def test_mothers_name_must_match_the_population(civil: httpx.AsyncClient, mother: Citizen) -> None:
    body = birth_body(mother, None, "H31.29-20240315-0008")
    body["me"]["HoTen"] = "Không Phải Tên Mẹ"
    answer = await civil.post(KHAI_SINH, json=body)
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "me.HoTen"


async def test_a_man_cannot_be_registered_as_the_mother(civil: httpx.AsyncClient, father: Citizen) -> None:
    answer = await civil.post(KHAI_SINH, json=birth_body(father, None, "H31.29-20240315-0009"))
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "me.SoGiayToTuyThan"


async def test_on_time_registration_after_sixty_days_is_rejected_naming_loaidangky(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    born = (vietnam_today() - timedelta(days=90)).isoformat()
    late = await civil.post(
        KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0010", nksNgaySinh=born)
    )
    assert late.status_code == 422
    assert late.json()["chiTiet"][0]["truong"] == "loaiDangKy"
    ok = birth_body(mother, None, "H31.29-20240315-0011", nksNgaySinh=born, loaiDangKy=4)
    assert (await civil.post(KHAI_SINH, json=ok)).status_code == 201


async def test_birth_after_the_registration_date_is_rejected(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    tomorrow = (vietnam_today() + timedelta(days=1)).isoformat()
    answer = await civil.post(
        KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0012", nksNgaySinh=tomorrow)
    )
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "nksNgaySinh"


async def test_undetermined_sex_leaves_the_birth_pending_with_documents_requested(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    answer = await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0013", nksGioiTinh=3))
    assert answer.status_code == 201
    record = answer.json()
    assert record["trangThai"] == 2
    assert record["nksSoDinhDanh"] is None
    assert record["yeuCauBoSung"]
    counted = await effects(civil)
    assert (counted["khaisinh"], counted["khaisinh_cho_cap_so"]) == (0, 1)


async def test_with_pending_rate_one_every_birth_waits_for_its_id_number(
    population: Population, mother: Citizen
) -> None:
    async with client_for(population, pending_rate=1.0) as civil:
        for n in range(3):
            answer = await civil.post(KHAI_SINH, json=birth_body(mother, None, f"H31.29-20240316-000{n}"))
            assert answer.json()["trangThai"] == 2
            assert answer.json()["yeuCauBoSung"]
        assert (await effects(civil))["khaisinh_cho_cap_so"] == 3


async def test_record_lookups_answer_404_or_422_with_the_registry_error_body(
    civil: httpx.AsyncClient,
) -> None:
    missing = await civil.get(f"{KHAI_SINH}/KS.031.99999999")
    assert missing.status_code == 404
    assert missing.json()["maLoi"] == "KHONG_TIM_THAY"
    malformed = await civil.get(f"{KHAI_SINH}/not-an-id")
    assert malformed.status_code == 422
    assert malformed.json()["maLoi"] == "DU_LIEU_KHONG_HOP_LE"
    nobody = await civil.get("/api/v1/hotich/congdan/031399999999")
    assert nobody.status_code == 404


async def test_body_that_is_not_json_is_422_and_changes_nothing(civil: httpx.AsyncClient) -> None:
    answer = await civil.post(KHAI_SINH, content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["maLoi"] == "DU_LIEU_KHONG_HOP_LE"
    assert set((await effects(civil)).values()) == {0}


async def test_supplementing_a_pending_birth_issues_the_id_number_exactly_once(
    population: Population, mother: Citizen
) -> None:
    async with client_for(population, pending_rate=1.0) as civil:
        pending = (await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240317-0001"))).json()
        supplement = {"taiLieuBoSung": ["Giấy chứng sinh (bản chính)"]}
        done = await civil.post(f"{KHAI_SINH}/{pending['id']}/bosung", json=supplement)
        again = await civil.post(f"{KHAI_SINH}/{pending['id']}/bosung", json=supplement)
        assert (done.status_code, again.status_code) == (201, 200)
        record = done.json()
        assert (record["trangThai"], record["yeuCauBoSung"]) == (1, [])
        assert again.json() == record
        assert population.citizen(record["nksSoDinhDanh"]) is not None
        assert (await civil.get(f"{KHAI_SINH}/{pending['id']}")).json() == record
        counted = await effects(civil)
        assert (counted["khaisinh"], counted["khaisinh_cho_cap_so"]) == (1, 0)


async def test_supplement_for_an_undetermined_sex_must_state_the_sex(
    civil: httpx.AsyncClient, mother: Citizen
) -> None:
    body = birth_body(mother, None, "H31.29-20240317-0002", nksGioiTinh=3)
    pending = (await civil.post(KHAI_SINH, json=body)).json()
    url = f"{KHAI_SINH}/{pending['id']}/bosung"
    documents = ["Giấy xác định giới tính của cơ sở y tế"]
    silent = await civil.post(url, json={"taiLieuBoSung": documents})
    assert silent.status_code == 422
    assert silent.json()["chiTiet"][0]["truong"] == "nksGioiTinh"
    stated = await civil.post(url, json={"taiLieuBoSung": documents, "nksGioiTinh": 2})
    assert stated.status_code == 201
    assert parse_id_number(stated.json()["nksSoDinhDanh"]).sex == "F"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("KS.031.00000001/bosung", {"taiLieuBoSung": []}, 422),
        ("KS.031.00000001/bosung", {"taiLieuBoSung": ["x"], "nksGioiTinh": 3}, 422),
        ("KS.031.99999999/bosung", {"taiLieuBoSung": ["Giấy chứng sinh"]}, 404),
    ],
)
async def test_bad_supplement_is_refused_and_changes_nothing(
    population: Population, mother: Citizen, path: str, body: dict[str, Any], status: int
) -> None:
    async with client_for(population, pending_rate=1.0) as civil:
        await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240317-0003"))
        answer = await civil.post(f"{KHAI_SINH}/{path}", json=body)
        assert answer.status_code == status
        assert answer.json()["maLoi"] in ("DU_LIEU_KHONG_HOP_LE", "KHONG_TIM_THAY")
        assert (await effects(civil))["khaisinh_cho_cap_so"] == 1


async def test_a_birth_registered_on_vietnams_today_is_accepted_while_utc_is_still_on_yesterday(
    civil: httpx.AsyncClient, mother: Citizen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 17:00 UTC it is the next day in Vietnam: the registry's today is Vietnam's, not the machine's."""
    utc_evening = datetime.combine(datetime.now(UTC).date(), time(18), UTC)
    clock_at(monkeypatch, utc_evening)
    assert vietnam_today() == utc_evening.date() + timedelta(days=1)
    answer = await civil.post(KHAI_SINH, json=birth_body(mother, None, "H31.29-20240315-0099"))
    assert answer.status_code == 201, answer.text
