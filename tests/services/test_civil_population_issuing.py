"""The civil registry has a newborn's number issued by the population database over HTTP, as in the real
flow: the child is then found by a population look-up, even when the two mocks hold separate populations
(separate processes); an unreachable population database leaves the birth waiting, asked again later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.citizens import Citizen, Population
from services.civil.app import create_app as civil_app
from services.civil.settings import CivilSettings
from services.population.app import create_app as population_app
from tests.services.agency_people import SIZE, age, first
from vn_calendar import vietnam_today

KHAI_SINH = "/api/v1/hotich/khaisinh"
CAP_SO = "/api/v1/dinhdanh/capso"
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


@dataclass
class Pair:
    civil: httpx.AsyncClient
    population: httpx.AsyncClient
    population_app: FastAPI
    civil_app: FastAPI
    mother: Citizen


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    # Two populations of the same seed: the mocks share nothing but the wire, as in separate processes.
    national = population_app(Population(seed=2023, size=SIZE), latency=False)
    settings = CivilSettings(population_url="http://population", pending_rate=0.0)
    local = Population(seed=2023, size=SIZE)
    civil = civil_app(
        local, latency=False, settings=settings, population_transport=httpx.ASGITransport(national)
    )
    mother = first(local, lambda c: c.sex == "F" and 20 <= age(c, vietnam_today()) <= 40)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(civil), base_url="http://civil") as civil_client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(national), base_url="http://population"
        ) as pop_client,
    ):
        yield Pair(civil_client, pop_client, national, civil, mother)


def birth(mother: Citizen, code: str = "H31.29-20261207-0001") -> dict[str, Any]:
    today = vietnam_today()
    return {
        "maHoSo": code, "so": "12", "quyenSo": "01/2026", "trangSo": "3", "ngayDangKy": today.isoformat(),
        "loaiDangKy": 1, "noiDangKy": "UBND phường Lạch Tray", "nguoiKy": "Nguyễn Văn Hùng",
        "chucVuNguoiKy": "Chủ tịch", "nguoiThucHien": "Trần Thị Mai", "nksHoTen": "Lê Minh Khôi",
        "nksGioiTinh": 1, "nksNgaySinh": (today - timedelta(days=3)).isoformat(),
        "nksNoiSinh": "Bệnh viện Phụ sản Hải Phòng", "nksQueQuan": "Hải Phòng",
        "me": {"HoTen": mother.full_name, "NgaySinh": mother.birth_date.isoformat(), "NoiCuTru": "Hải Phòng",
               "SoGiayToTuyThan": mother.id_number},
        "nyc": {"HoTen": mother.full_name, "QuanHe": "Mẹ", "SoGiayToTuyThan": mother.id_number},
    }  # fmt: skip


async def population_finds(population: httpx.AsyncClient, number: str) -> bool:
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca"><MaCanBo>CB01</MaCanBo>'
        f"<SoDinhDanh>{number}</SoDinhDanh></XacThucThongTinCongDanRequest></s:Body></s:Envelope>"
    )
    answer = await population.post("/", content=body.encode(), headers=SOAP)
    return "<dc:TonTai>true</dc:TonTai>" in answer.text


async def test_a_registered_birth_gets_its_number_from_the_population_database_which_then_knows_the_child(
    pair: Pair,
) -> None:
    answer = await pair.civil.post(KHAI_SINH, json=birth(pair.mother))
    assert answer.status_code == 201, answer.text
    number = answer.json()["nksSoDinhDanh"]
    assert number and number.startswith("031")
    assert await population_finds(pair.population, number)
    again = await pair.civil.post(KHAI_SINH, json=birth(pair.mother))
    assert again.status_code == 200 and again.json()["nksSoDinhDanh"] == number
    assert len(pair.population_app.state.newborn_numbers) == 1


async def test_an_unreachable_population_database_leaves_the_birth_waiting_until_asked_again(
    pair: Pair,
) -> None:
    await pair.population.patch("/_control/faults", json={"outage": True})
    waiting = await pair.civil.post(KHAI_SINH, json=birth(pair.mother))
    assert waiting.status_code == 201, waiting.text
    record = waiting.json()
    assert record["trangThai"] == 2 and record["nksSoDinhDanh"] is None and record["yeuCauBoSung"] == []
    still = (await pair.civil.get(f"{KHAI_SINH}/{record['id']}")).json()
    assert still["trangThai"] == 2
    await pair.population.post("/_control/faults/reset")
    done = (await pair.civil.get(f"{KHAI_SINH}/{record['id']}")).json()
    assert done["trangThai"] == 1 and await population_finds(pair.population, done["nksSoDinhDanh"])
    effects = (await pair.civil.get("/_control/effects")).json()
    assert effects["khaisinh"] == 1 and effects["khaisinh_cho_cap_so"] == 0


async def test_the_issuing_endpoint_is_idempotent_on_the_request_code_and_refuses_unknown_parents(
    pair: Pair,
) -> None:
    request = {
        "MaYeuCau": "KS-2026-0001", "HoVaTen": {"Ho": "Lê", "ChuDem": "Minh", "Ten": "Khôi"}, "GioiTinh": 1,
        "NgayThangNamSinh": (vietnam_today() - timedelta(days=2)).strftime("%Y%m%d"), "MaTinhKhaiSinh": "031",
        "SoDinhDanhMe": pair.mother.id_number,
    }  # fmt: skip
    first_answer = await pair.population.post(CAP_SO, json=request)
    assert first_answer.status_code == 201 and first_answer.json()["MaKetQua"] == "00"
    again = await pair.population.post(CAP_SO, json=request)
    assert again.status_code == 200 and again.json()["SoDinhDanh"] == first_answer.json()["SoDinhDanh"]
    other_child = await pair.population.post(CAP_SO, json=request | {"GioiTinh": 2})
    assert other_child.status_code == 409 and other_child.json()["MaKetQua"] == "04"
    orphan = request | {"MaYeuCau": "KS-2026-0002", "SoDinhDanhMe": "031190000001"}
    refused = await pair.population.post(CAP_SO, json=orphan)
    assert refused.status_code == 422 and refused.json()["Truong"] == "SoDinhDanhMe"


async def test_a_refusal_by_the_population_database_refuses_the_registration(pair: Pair) -> None:
    # The population database of another seed does not know this mother.
    national = population_app(Population(seed=1, size=SIZE), latency=False)
    settings = CivilSettings(population_url="http://population", pending_rate=0.0)
    civil = civil_app(
        Population(seed=2023, size=SIZE), latency=False, settings=settings,
        population_transport=httpx.ASGITransport(national),
    )  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(civil), base_url="http://civil") as client:
        answer = await client.post(KHAI_SINH, json=birth(pair.mother))
        assert answer.status_code == 422 and answer.json()["chiTiet"][0]["truong"] == "nksSoDinhDanh"
        assert (await client.get("/_control/effects")).json()["khaisinh"] == 0


def death(person: Citizen, code: str) -> dict[str, Any]:
    today = vietnam_today().isoformat()
    return {
        "maHoSo": code, "so": "7", "quyenSo": "01/2026", "trangSo": "2", "ngayDangKy": today,
        "noiDangKy": "UBND phường Lạch Tray", "nguoiKy": "Nguyễn Văn Hùng", "chucVuNguoiKy": "Chủ tịch",
        "nguoiThucHien": "Trần Thị Mai", "nktHoTen": person.full_name, "nktSoDinhDanh": person.id_number,
        "nktNgayChet": today, "nktNoiChet": "Bệnh viện Việt Tiệp", "nktNguyenNhan": "Bệnh",
        "nyc": {"HoTen": "Đào Ngọc Dũng", "QuanHe": "Con", "SoGiayToTuyThan": "031086944424"},
    }  # fmt: skip


async def test_a_death_registered_here_reaches_the_population_database_of_another_process(pair: Pair) -> None:
    answer = await pair.civil.post("/api/v1/hotich/khaitu", json=death(pair.mother, "KT-2026-0001"))
    assert answer.status_code == 201, answer.text
    feed = (await pair.population.get("/api/v1/biendong/khaitu")).json()["BienDong"]
    assert [event["SoDinhDanh"] for event in feed] == [pair.mother.id_number]
    again = await pair.civil.post("/api/v1/hotich/khaitu", json=death(pair.mother, "KT-2026-0001"))
    assert again.status_code == 200
    assert len((await pair.population.get("/api/v1/biendong/khaitu")).json()["BienDong"]) == 1


async def test_a_death_the_population_database_did_not_take_is_sent_again_later(pair: Pair) -> None:
    await pair.population.patch("/_control/faults", json={"outage": True})
    answer = await pair.civil.post("/api/v1/hotich/khaitu", json=death(pair.mother, "KT-2026-0002"))
    assert answer.status_code == 201  # the registration stands; the notice waits
    assert (await pair.civil.get("/_control/effects")).json()["khaitu_cho_bao_dan_cu"] == 1
    await pair.population.post("/_control/faults/reset")
    retrying = asyncio.create_task(
        pair.civil_app.state.death_notices.keep_sending(0.01)
    )  # as in the lifespan
    try:
        async with asyncio.timeout(5):
            while (await pair.civil.get("/_control/effects")).json()["khaitu_cho_bao_dan_cu"]:  # noqa: ASYNC110 - polled over HTTP, as a caller would
                await asyncio.sleep(0.01)
    finally:
        retrying.cancel()
    feed = (await pair.population.get("/api/v1/biendong/khaitu")).json()["BienDong"]
    assert [event["SoDinhDanh"] for event in feed] == [pair.mother.id_number]


async def test_concurrent_deliveries_of_one_birth_register_it_once(pair: Pair) -> None:
    answers = await asyncio.gather(*(pair.civil.post(KHAI_SINH, json=birth(pair.mother)) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 200, 201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert (await pair.civil.get("/_control/effects")).json()["khaisinh"] == 1
    assert len(pair.population_app.state.newborn_numbers) == 1
