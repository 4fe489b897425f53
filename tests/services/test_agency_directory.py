"""Agency mocks in separate processes ask the population database about people they do not hold: a
newborn whose number the population database issued (for the civil registry) is then found by the
residence database and social insurance too."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.casework.directory import _as_dict, citizen_of
from services.citizens import Population
from services.civil.app import create_app as civil_app
from services.civil.settings import CivilSettings
from services.insurance import InsuranceSettings
from services.insurance import create_app as insurance_app
from services.population.app import create_app as population_app
from services.population.wire import congdan_element
from services.residence import ResidenceSettings
from services.residence import create_app as residence_app
from tests.services.agency_people import SIZE, age, first
from tests.services.test_civil_population_issuing import birth
from vn_calendar import vietnam_today

LOOKUP_NS = "http://www.mic.gov.vn/dancu/1.0"


def test_a_record_read_back_from_the_population_databases_xml_is_the_same_citizen() -> None:
    population = Population(seed=2023, size=SIZE)
    for index in range(0, SIZE, 97):
        citizen = population.citizen(population.id_at(index))
        assert citizen is not None
        element = congdan_element(citizen.to_congdan(), LOOKUP_NS)
        assert citizen_of(_as_dict(element)) == citizen


async def test_a_newborn_issued_in_the_population_process_is_found_by_residence_and_insurance() -> None:
    national = population_app(Population(seed=2023, size=SIZE), latency=False)
    to_population = httpx.ASGITransport(app=national)
    civil_population = Population(seed=2023, size=SIZE)
    civil = civil_app(
        civil_population,
        latency=False,
        settings=CivilSettings(population_url="http://population", pending_rate=0.0),
        population_transport=to_population,
    )
    mother = first(civil_population, lambda c: c.sex == "F" and 20 <= age(c, vietnam_today()) <= 40)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=civil), base_url="http://civil") as client:
        registered = await client.post("/api/v1/hotich/khaisinh", json=birth(mother))
    child_id = registered.json()["nksSoDinhDanh"]
    born = (vietnam_today() - timedelta(days=3)).isoformat()

    residence = residence_app(
        Population(seed=2023, size=SIZE),
        settings=ResidenceSettings(population_url="http://population"),
        latency=False,
        population_transport=to_population,
    )
    head = mother.household
    body = {
        "maHoSo": "H31.29-20261207-0001",
        "nguoiDangKy": {"soDinhDanh": child_id, "hoTen": "Lê Minh Khôi", "ngaySinh": born, "gioiTinh": 1},
        "chuHo": {"soDinhDanh": head.head_id_number, "hoTen": head.head_name},
        "soSoHoKhau": head.book_number,
        "nguoiKeKhai": {"hoTen": mother.full_name, "soDinhDanh": mother.id_number, "quanHe": "Mẹ"},
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=residence), base_url="http://ct"
    ) as client:
        answer = await client.post("/api/v1/cutru/dangkythuongtru", json=body)
        assert answer.status_code == 201, answer.text

    insurance = insurance_app(
        Population(seed=2023, size=SIZE),
        settings=InsuranceSettings(population_url="http://population"),
        latency=False,
        population_transport=to_population,
    )
    card = {
        "maHoSo": "H31.29-20261207-0001",
        "soDinhDanh": child_id,
        "hoTen": "Lê Minh Khôi",
        "ngaySinh": (vietnam_today() - timedelta(days=3)).strftime("%d/%m/%Y"),
        "gioiTinh": 1,
        "nguoiGiamHo": {"hoTen": mother.full_name, "soDinhDanh": mother.id_number, "quanHe": "Mẹ"},
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=insurance), base_url="http://bhxh"
    ) as client:
        answer = await client.post("/api/v1/bhyt/the-tre-em", json=card)
        assert answer.status_code == 201, answer.text


async def test_without_the_population_database_a_newborn_of_another_process_is_not_found() -> None:
    residence = residence_app(Population(seed=2023, size=SIZE), latency=False)
    mother = first(
        Population(seed=2023, size=SIZE), lambda c: c.sex == "F" and 20 <= age(c, vietnam_today()) <= 40
    )
    unknown_child = "031226000001"
    body = {
        "maHoSo": "H31.29-20261207-0001",
        "nguoiDangKy": {"soDinhDanh": unknown_child, "hoTen": "Lê Minh Khôi", "ngaySinh": "2026-12-01",
                        "gioiTinh": 1},
        "chuHo": {"soDinhDanh": mother.household.head_id_number, "hoTen": mother.household.head_name},
        "soSoHoKhau": mother.household.book_number,
        "nguoiKeKhai": {"hoTen": mother.full_name, "soDinhDanh": mother.id_number, "quanHe": "Mẹ"},
    }  # fmt: skip
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=residence), base_url="http://ct"
    ) as client:
        answer = await client.post("/api/v1/cutru/dangkythuongtru", json=body)
    assert answer.status_code == 404 and answer.json()["maLoi"] == "CONG_DAN_KHONG_TON_TAI"
