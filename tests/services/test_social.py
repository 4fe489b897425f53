"""The social-affairs mock: the funeral allowance of a social-assistance beneficiary, once per deceased."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.citizens import Citizen
from services.social import SocialSettings, create_app
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def social(people: Family) -> AsyncIterator[httpx.AsyncClient]:
    settings = SocialSettings(late_rate=0, disability_share=0.0)
    app = create_app(people.population, settings=settings, latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://btxh") as client:
        yield client


def claim(people: Family, deceased: Citizen, code: str = "H31.29-20261207-0007") -> dict[str, Any]:
    return {
        "maHoSo": code,
        "nguoiMat": {
            "soDinhDanh": deceased.id_number,
            "hoTen": deceased.full_name,
            "ngayMat": vietnam_today().strftime("%d/%m/%Y"),
        },
        "nguoiLoMaiTang": {
            "hoTen": people.adult.full_name,
            "soDinhDanh": people.adult.id_number,
            "quanHe": "Con",
            "diaChi": people.adult.permanent_address.detail,
        },
    }


async def test_the_allowance_of_an_old_age_pensioner_is_decided_at_twenty_times_the_standard(
    social: httpx.AsyncClient, people: Family
) -> None:
    answer = await social.post("/api/v1/trogiup/mai-tang", json=claim(people, people.elder))
    assert answer.status_code == 201, answer.text
    assert answer.json()["trangThai"] == 1 and answer.json()["quyetDinh"] is None
    await social.post("/_control/clock/advance", json={"hours": 24 * 8})
    dossier = (await social.get("/api/v1/hoso/H31.29-20261207-0007")).json()
    assert dossier["trangThai"] == 3
    assert dossier["quyetDinh"]["soTien"] == 10_000_000 and dossier["quyetDinh"]["doiTuong"] == "NCT80"
    assert dossier["quyetDinh"]["nguoiNhan"] == people.adult.full_name


async def test_a_person_without_a_monthly_allowance_is_refused(
    social: httpx.AsyncClient, people: Family
) -> None:
    answer = await social.post("/api/v1/trogiup/mai-tang", json=claim(people, people.head))
    assert answer.status_code == 422 and answer.json()["maLoi"] == "KHONG_THUOC_DOI_TUONG"
    assert (await social.get("/_control/effects")).json()["ho_tro_mai_tang"] == 0


async def test_the_allowance_is_decided_once_per_deceased_and_replays_are_harmless(
    social: httpx.AsyncClient, people: Family
) -> None:
    first = await social.post("/api/v1/trogiup/mai-tang", json=claim(people, people.elder))
    again = await social.post("/api/v1/trogiup/mai-tang", json=claim(people, people.elder))
    assert again.status_code == 200 and again.json()["maHoSoBtxh"] == first.json()["maHoSoBtxh"]
    other = await social.post(
        "/api/v1/trogiup/mai-tang", json=claim(people, people.elder, "H31.29-20261207-0008")
    )
    assert other.status_code == 409 and other.json()["maLoi"] == "DA_HO_TRO_MAI_TANG"
    assert (await social.get("/_control/effects")).json()["ho_tro_mai_tang"] == 1


async def test_an_unknown_organiser_is_refused_naming_the_field(
    social: httpx.AsyncClient, people: Family
) -> None:
    body = claim(people, people.elder)
    body["nguoiLoMaiTang"]["soDinhDanh"] = "031226000001"
    answer = await social.post("/api/v1/trogiup/mai-tang", json=body)
    assert answer.status_code == 404 and answer.json()["truong"] == "nguoiLoMaiTang.soDinhDanh"


async def test_injected_errors_change_nothing(social: httpx.AsyncClient, people: Family) -> None:
    await social.patch("/_control/faults", json={"error_rate": 1.0, "error_status": 500})
    answer = await social.post("/api/v1/trogiup/mai-tang", json=claim(people, people.elder))
    assert answer.status_code == 500 and answer.headers["x-fault-injected"]
    assert (await social.get("/_control/effects")).json()["ho_tro_mai_tang"] == 0
