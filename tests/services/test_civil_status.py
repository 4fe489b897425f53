"""Deaths, marriages and marital-status certificates at the civil registry mock, and its fault defaults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.citizens import Citizen, Population
from services.civil.app import create_app
from services.civil.settings import CivilSettings
from tests.services.test_civil_births import age, effects, find_citizen, parent
from vn_calendar import vietnam_today

TODAY = vietnam_today()
BOOK = {
    "so": "17",
    "quyenSo": "02/2024",
    "trangSo": "9",
    "ngayDangKy": TODAY.isoformat(),
    "noiDangKy": "UBND phường Máy Chai, quận Ngô Quyền, thành phố Hải Phòng",
    "nguoiKy": "Nguyễn Văn Hùng",
    "chucVuNguoiKy": "Chủ tịch",
    "nguoiThucHien": "Trần Thị Mai",
}


def single(sex: str, low: int, high: int) -> Any:
    return lambda c: c.sex == sex and low <= age(c, TODAY) <= high and c.marital_status == "1"


def nyc(person: Citizen) -> dict[str, Any]:
    return {
        "HoTen": person.full_name,
        "QuanHe": "Con",
        "LoaiGiayToTuyThan": 2,
        "SoGiayToTuyThan": person.id_number,
    }


def death_body(person: Citizen, ma_ho_so: str, **changes: Any) -> dict[str, Any]:
    body = {
        **BOOK,
        "maHoSo": ma_ho_so,
        "nktHoTen": person.full_name,
        "nktSoDinhDanh": person.id_number,
        "nktNgayChet": (TODAY - timedelta(days=2)).isoformat(),
        "nktNoiChet": "Bệnh viện Việt Tiệp, Hải Phòng",
        "nktNguyenNhan": "Bệnh",
        "nyc": nyc(person),
    }
    return body | changes


def marriage_body(husband: Citizen, wife: Citizen, ma_ho_so: str) -> dict[str, Any]:
    return {**BOOK, "maHoSo": ma_ho_so, "chong": parent(husband), "vo": parent(wife)}


def certificate_body(person: Citizen, ma_ho_so: str) -> dict[str, Any]:
    return {
        "maHoSo": ma_ho_so,
        "soDinhDanh": person.id_number,
        "hoTen": person.full_name,
        "mucDichSuDung": "Đăng ký kết hôn",
        "ngayDangKy": TODAY.isoformat(),
        "noiDangKy": BOOK["noiDangKy"],
        "nguoiKy": BOOK["nguoiKy"],
        "chucVuNguoiKy": BOOK["chucVuNguoiKy"],
        "nyc": nyc(person),
    }


@pytest.fixture
def population() -> Population:
    return Population(seed=2023, size=200_000)


@pytest.fixture
async def civil(population: Population) -> AsyncIterator[httpx.AsyncClient]:
    # Each test gets a fresh registry over the same (read-only here) population.
    app = create_app(population, latency=False, settings=CivilSettings(pending_rate=0.0))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://civil.test"
    ) as client:
        yield client


@pytest.fixture
def man(population: Population) -> Citizen:
    return find_citizen(population, single("M", 25, 40), seed=11)


@pytest.fixture
def woman(population: Population) -> Citizen:
    return find_citizen(population, single("F", 22, 38), seed=12)


@pytest.fixture
def other_woman(population: Population, woman: Citizen) -> Citizen:
    return find_citizen(
        population, lambda c: single("F", 22, 38)(c) and c.id_number != woman.id_number, seed=13
    )


async def test_death_marks_the_person_deceased_and_a_second_death_is_rejected(
    civil: httpx.AsyncClient, man: Citizen
) -> None:
    first = await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.07-20240401-0001"))
    assert first.status_code == 201, first.text
    status = (await civil.get(f"/api/v1/hotich/congdan/{man.id_number}")).json()
    assert status["daMat"] is True
    second = await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.07-20240401-0002"))
    assert second.status_code == 422
    assert second.json()["chiTiet"][0]["truong"] == "nktSoDinhDanh"
    assert (await effects(civil))["khaitu"] == 1


async def test_death_dossier_sent_twice_takes_effect_once(civil: httpx.AsyncClient, man: Citizen) -> None:
    body = death_body(man, "H31.07-20240401-0003")
    answers = [await civil.post("/api/v1/hotich/khaitu", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await effects(civil))["khaitu"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nktHoTen": "Tên Sai Hoàn Toàn"}, "nktHoTen"),
        ({"nktSoDinhDanh": "031099999999"}, "nktSoDinhDanh"),
        ({"nktSoDinhDanh": "12345"}, "nktSoDinhDanh"),
        ({"nktNgayChet": (TODAY + timedelta(days=3)).isoformat()}, "nktNgayChet"),
        ({"nktNgayChet": "1800-01-01"}, "nktNgayChet"),
        ({"ngayDangKy": (TODAY + timedelta(days=1)).isoformat()}, "ngayDangKy"),
    ],
)
async def test_bad_death_is_422_naming_the_field_and_changes_nothing(
    civil: httpx.AsyncClient, man: Citizen, change: dict[str, Any], field: str
) -> None:
    answer = await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.07-20240401-0004", **change))
    assert answer.status_code == 422
    assert field in [item["truong"] for item in answer.json()["chiTiet"]]
    assert (await civil.get(f"/api/v1/hotich/congdan/{man.id_number}")).json()["daMat"] is False
    assert (await effects(civil))["khaitu"] == 0


async def test_marriage_makes_both_married_and_the_certificate_says_so(
    civil: httpx.AsyncClient, man: Citizen, woman: Citizen
) -> None:
    answer = await civil.post("/api/v1/hotich/kethon", json=marriage_body(man, woman, "H31.11-20240402-0001"))
    assert answer.status_code == 201, answer.text
    assert sorted(answer.json()["nguoiLienQuan"]) == sorted([man.id_number, woman.id_number])
    for person in (man, woman):
        status = (await civil.get(f"/api/v1/hotich/congdan/{person.id_number}")).json()
        assert status["tinhTrangHonNhan"] == 2
    certificate = await civil.post(
        "/api/v1/hotich/xacnhantthn", json=certificate_body(woman, "H31.11-20240402-0002")
    )
    assert certificate.status_code == 201
    assert certificate.json()["tinhTrangHonNhan"] == 2
    looked_up = await civil.get(f"/api/v1/hotich/xacnhantthn/{certificate.json()['id']}")
    assert looked_up.json() == certificate.json()


async def test_a_married_man_cannot_marry_again(
    civil: httpx.AsyncClient, man: Citizen, woman: Citizen, other_woman: Citizen
) -> None:
    await civil.post("/api/v1/hotich/kethon", json=marriage_body(man, woman, "H31.11-20240402-0003"))
    again = await civil.post(
        "/api/v1/hotich/kethon", json=marriage_body(man, other_woman, "H31.11-20240402-0004")
    )
    assert again.status_code == 422
    assert again.json()["chiTiet"][0]["truong"] == "chong.SoGiayToTuyThan"
    status = (await civil.get(f"/api/v1/hotich/congdan/{other_woman.id_number}")).json()
    assert status["tinhTrangHonNhan"] == 1
    assert (await effects(civil))["kethon"] == 1


async def test_the_spouse_of_a_deceased_person_is_certified_widowed(
    civil: httpx.AsyncClient, man: Citizen, woman: Citizen
) -> None:
    await civil.post("/api/v1/hotich/kethon", json=marriage_body(man, woman, "H31.11-20240402-0005"))
    await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.11-20240402-0006"))
    certificate = await civil.post(
        "/api/v1/hotich/xacnhantthn", json=certificate_body(woman, "H31.11-20240402-0007")
    )
    assert certificate.json()["tinhTrangHonNhan"] == 4


async def test_under_age_spouse_is_rejected_naming_the_birth_date(
    civil: httpx.AsyncClient, population: Population, man: Citizen
) -> None:
    girl = find_citizen(population, lambda c: c.sex == "F" and 14 <= age(c, TODAY) <= 17, seed=21)
    answer = await civil.post("/api/v1/hotich/kethon", json=marriage_body(man, girl, "H31.11-20240402-0008"))
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "vo.NgaySinh"


async def test_the_husband_must_be_a_man(
    civil: httpx.AsyncClient, woman: Citizen, other_woman: Citizen
) -> None:
    answer = await civil.post(
        "/api/v1/hotich/kethon", json=marriage_body(other_woman, woman, "H31.11-20240402-0009")
    )
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "chong.SoGiayToTuyThan"
    assert (await effects(civil))["kethon"] == 0


async def test_nobody_marries_themself(civil: httpx.AsyncClient, man: Citizen) -> None:
    answer = await civil.post("/api/v1/hotich/kethon", json=marriage_body(man, man, "H31.11-20240402-0010"))
    assert answer.status_code == 422
    assert answer.json()["chiTiet"][0]["truong"] == "vo.SoGiayToTuyThan"


async def test_certificate_for_an_unknown_or_deceased_person_is_refused(
    civil: httpx.AsyncClient, man: Citizen
) -> None:
    unknown = certificate_body(man, "H31.11-20240402-0011") | {"soDinhDanh": "031099999999"}
    assert (await civil.post("/api/v1/hotich/xacnhantthn", json=unknown)).json()["chiTiet"][0][
        "truong"
    ] == "soDinhDanh"
    await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.11-20240402-0012"))
    dead = await civil.post("/api/v1/hotich/xacnhantthn", json=certificate_body(man, "H31.11-20240402-0013"))
    assert dead.status_code == 422
    assert (await effects(civil))["xacnhantthn"] == 0


async def test_a_dossier_number_cannot_be_reused_for_another_kind_of_registration(
    civil: httpx.AsyncClient, man: Citizen
) -> None:
    await civil.post("/api/v1/hotich/xacnhantthn", json=certificate_body(man, "H31.11-20240402-0014"))
    answer = await civil.post("/api/v1/hotich/khaitu", json=death_body(man, "H31.11-20240402-0014"))
    assert answer.status_code == 409
    assert (await effects(civil))["khaitu"] == 0


@pytest.mark.parametrize(("latency", "kind"), [(True, "lognormal"), (False, "none")])
async def test_default_latency_profile_is_lognormal_200_1500_or_none(
    population: Population, latency: bool, kind: str
) -> None:
    app = create_app(population, latency=latency)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://civil.test"
    ) as client:
        profile = (await client.get("/_control/faults")).json()["profile"]["latency"]
    assert profile["kind"] == kind
    if latency:
        assert (profile["p50_ms"], profile["p99_ms"]) == (200, 1500)


@pytest.mark.parametrize("kind", ["khaisinh", "khaitu", "kethon", "xacnhantthn"])
async def test_every_registration_endpoint_names_missing_fields_and_changes_nothing(
    civil: httpx.AsyncClient, kind: str
) -> None:
    answer = await civil.post(f"/api/v1/hotich/{kind}", json={"maHoSo": "H31.01-20240405-0001"})
    assert answer.status_code == 422
    named = {item["truong"] for item in answer.json()["chiTiet"]}
    assert {"ngayDangKy", "noiDangKy"} <= named
    assert "maHoSo" not in named
    assert set((await effects(civil)).values()) == {0}


async def test_fault_controls_are_installed_under_the_name_civil(civil: httpx.AsyncClient) -> None:
    state = (await civil.get("/_control/faults")).json()
    assert state["name"] == "civil"
