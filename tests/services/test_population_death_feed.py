"""The population database's feed of recorded deaths, read in order with a cursor; the residence
database removes the deceased on that event (nguonYeuCau 2) within one working day."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from services.civil.app import create_app as civil_app
from services.population.app import create_app as population_app
from services.residence import create_app as residence_app
from tests.services.agency_people import family
from vn_calendar import WorkingCalendar, vietnam_today

FEED = "/api/v1/biendong/khaitu"


def death(person_id: str, name: str, code: str) -> dict[str, object]:
    today = vietnam_today().isoformat()
    return {
        "maHoSo": code, "so": "7", "quyenSo": "01/2026", "trangSo": "2", "ngayDangKy": today,
        "noiDangKy": "UBND phường Lạch Tray", "nguoiKy": "Nguyễn Văn Hùng", "chucVuNguoiKy": "Chủ tịch",
        "nguoiThucHien": "Trần Thị Mai", "nktHoTen": name, "nktSoDinhDanh": person_id, "nktNgayChet": today,
        "nktNoiChet": "Bệnh viện Việt Tiệp", "nktNguyenNhan": "Bệnh", "nyc": {"HoTen": "Đào Ngọc Dũng",
        "QuanHe": "Con", "SoGiayToTuyThan": "031086944424"},
    }  # fmt: skip


async def test_deaths_registered_at_the_civil_registry_appear_in_order_and_drive_the_removal() -> None:
    people = family()
    civil = httpx.AsyncClient(transport=httpx.ASGITransport(civil_app(people.population, latency=False)),
                              base_url="http://civil")  # fmt: skip
    population = httpx.AsyncClient(
        transport=httpx.ASGITransport(population_app(people.population, latency=False)), base_url="http://dc"
    )
    residence = httpx.AsyncClient(
        transport=httpx.ASGITransport(residence_app(people.population, latency=False)), base_url="http://ct"
    )
    async with civil, population, residence:
        assert (await population.get(FEED)).json() == {"BienDong": [], "ThuTuCuoi": 0}
        for code, person in (("KT-0001", people.elder), ("KT-0002", people.head)):
            answer = await civil.post(
                "/api/v1/hotich/khaitu", json=death(person.id_number, person.full_name, code)
            )
            assert answer.status_code == 201, answer.text
        page = (await population.get(FEED, params={"sau": 0, "soLuong": 1})).json()
        assert [e["SoDinhDanh"] for e in page["BienDong"]] == [people.elder.id_number] and page[
            "ThuTuCuoi"
        ] == 1
        rest = (await population.get(FEED, params={"sau": page["ThuTuCuoi"]})).json()
        assert [e["SoDinhDanh"] for e in rest["BienDong"]] == [people.head.id_number]
        assert (await population.get(FEED, params={"sau": 2})).json() == {"BienDong": [], "ThuTuCuoi": 2}

        event = page["BienDong"][0]
        died = datetime.strptime(event["NgayMat"], "%Y%m%d").date().isoformat()
        removal = {
            "maHoSo": f"XT-{event['ThuTu']:06d}", "soDinhDanh": event["SoDinhDanh"],
            "hoTen": event["HoVaTen"], "ngayChet": died, "nguonYeuCau": 2,
            "trichLucKhaiTu": {"so": "KT-0001", "ngayCap": died, "coQuanCap": "UBND phường Lạch Tray"},
        }  # fmt: skip
        answer = await residence.post("/api/v1/cutru/xoadangkythuongtru", json=removal)
        assert answer.status_code == 201, answer.text
        received = datetime.fromisoformat(answer.json()["ngayTiepNhan"])
        assert answer.json()["ngayHenTra"] == WorkingCalendar().add_working_days(received, 1).isoformat()


@pytest.mark.parametrize("query", [{"sau": -1}, {"soLuong": 0}, {"soLuong": 1001}])
async def test_a_bad_cursor_or_page_size_is_refused(query: dict[str, int]) -> None:
    app = population_app(family().population, latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://dc") as client:
        assert (await client.get(FEED, params=query)).status_code == 422


async def test_a_cursor_past_the_end_is_an_empty_page() -> None:
    app = population_app(family().population, latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://dc") as client:
        page = (await client.get(FEED, params={"sau": 10**12})).json()
    assert page == {"BienDong": [], "ThuTuCuoi": 10**12}
