"""The portal mock receiving progress updates (CapNhatTienDoHoSoMC) and answering look-ups (TraCuuHoSo)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.citizens import Population
from services.portal.app import create_app
from services.portal.dossiers import DossierFactory
from services.portal.settings import PortalSettings

UPDATE = "/api/CapNhatTienDoHoSoMC"
LOOKUP = "/api/TraCuuHoSo"


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=100_000)


@pytest.fixture
async def portal(population: Population) -> AsyncIterator[httpx.AsyncClient]:
    gateway = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    app = create_app(PortalSettings(gateway_url="http://lgsp.test"), population=population, transport=gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as client:
        yield client


async def sent_dossier(portal: httpx.AsyncClient) -> str:
    summary = (await portal.post("/_control/portal/send", json={"count": 1, "rate_per_second": 10})).json()
    return str(summary["dossiers"][0])


def update(ma_ho_so: str, status: int, when: str = "20990101080000", **extra: Any) -> dict[str, Any]:
    body = {"MaHoSo": ma_ho_so, "TrangThaiHoSo": status, "NgayCapNhat": when, "NoiDung": f"bước {status}"}
    return body | extra


async def history(portal: httpx.AsyncClient, ma_ho_so: str) -> list[int]:
    answer = await portal.get(LOOKUP, params={"MaHoSo": ma_ho_so})
    assert answer.status_code == 200, answer.text
    return [entry["TrangThaiHoSo"] for entry in answer.json()["LichSuXuLy"]]


async def test_progress_through_to_result_returned_is_stored_in_order(portal: httpx.AsyncClient) -> None:
    ma_ho_so = await sent_dossier(portal)
    for minute, status in enumerate([2, 4, 4, 9, 10]):
        answer = await portal.post(UPDATE, json=update(ma_ho_so, status, f"209901010{minute}0000"))
        assert answer.status_code == 200, answer.text
        assert answer.json()["error_code"] == "0"
    found = (await portal.get(LOOKUP, params={"MaHoSo": ma_ho_so})).json()
    assert found["HoSo"]["MaHoSo"] == ma_ho_so
    assert (found["TrangThaiHoSo"], found["TenTrangThai"]) == (10, "Đã trả kết quả")
    assert [e["TrangThaiHoSo"] for e in found["LichSuXuLy"]] == [1, 2, 4, 4, 9, 10]


async def test_no_update_is_possible_after_the_result_was_returned(portal: httpx.AsyncClient) -> None:
    ma_ho_so = await sent_dossier(portal)
    for status in (2, 4, 9, 10):
        await portal.post(UPDATE, json=update(ma_ho_so, status))
    answer = await portal.post(UPDATE, json=update(ma_ho_so, 4))
    assert answer.status_code == 409
    assert answer.json()["field"] == "TrangThaiHoSo"
    assert "closed" in answer.json()["message"]
    assert await history(portal, ma_ho_so) == [1, 2, 4, 9, 10]


@pytest.mark.parametrize(("steps", "bad"), [((), 9), ((2,), 10), ((3,), 2), ((2, 7), 4), ((2, 9), 4)])
async def test_impossible_transition_is_409_and_changes_nothing(
    portal: httpx.AsyncClient, steps: tuple[int, ...], bad: int
) -> None:
    ma_ho_so = await sent_dossier(portal)
    for status in steps:
        assert (await portal.post(UPDATE, json=update(ma_ho_so, status))).status_code == 200
    answer = await portal.post(UPDATE, json=update(ma_ho_so, bad))
    assert answer.status_code == 409
    assert answer.json()["error_code"] == "CHUYEN_TRANG_THAI_KHONG_HOP_LE"
    assert await history(portal, ma_ho_so) == [1, *steps]


async def test_a_repeated_update_is_accepted_once(portal: httpx.AsyncClient) -> None:
    ma_ho_so = await sent_dossier(portal)
    body = update(ma_ho_so, 2)
    first, again = [await portal.post(UPDATE, json=body) for _ in range(2)]
    assert first.status_code == again.status_code == 200
    assert first.json()["message"] != again.json()["message"]
    assert await history(portal, ma_ho_so) == [1, 2]


async def test_update_for_an_unknown_dossier_is_404(portal: httpx.AsyncClient) -> None:
    answer = await portal.post(UPDATE, json=update("H31.99-20990101-0001", 2))
    assert answer.status_code == 404
    assert answer.json() == {
        "error_code": "HOSO_KHONG_TON_TAI",
        "message": "no dossier 'H31.99-20990101-0001' was sent by this portal",
        "field": "MaHoSo",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"TrangThaiHoSo": 11}, "TrangThaiHoSo"),
        ({"TrangThaiHoSo": 0}, "TrangThaiHoSo"),
        ({"TrangThaiHoSo": "xong"}, "TrangThaiHoSo"),
        ({"NgayCapNhat": "2099-01-01"}, "NgayCapNhat"),
        ({"NgayCapNhat": "20991301080000"}, "NgayCapNhat"),
        ({"NoiDung": ""}, "NoiDung"),
        ({"Extra": 1}, "Extra"),
    ],
)
async def test_malformed_update_is_422_naming_the_field_and_changes_nothing(
    portal: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    ma_ho_so = await sent_dossier(portal)
    answer = await portal.post(UPDATE, json=update(ma_ho_so, 2) | change)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert field in answer.json()["message"]
    assert await history(portal, ma_ho_so) == [1]


async def test_update_dated_before_the_last_one_is_422(portal: httpx.AsyncClient) -> None:
    ma_ho_so = await sent_dossier(portal)
    await portal.post(UPDATE, json=update(ma_ho_so, 2, "20990102080000"))
    answer = await portal.post(UPDATE, json=update(ma_ho_so, 4, "20990101080000"))
    assert answer.status_code == 422
    assert answer.json()["field"] == "NgayCapNhat"
    assert await history(portal, ma_ho_so) == [1, 2]


async def test_body_that_is_not_json_is_422(portal: httpx.AsyncClient) -> None:
    answer = await portal.post(UPDATE, content=b"<xml/>", headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["error_code"] == "DU_LIEU_KHONG_HOP_LE"


async def test_lookup_needs_a_known_dossier_number(portal: httpx.AsyncClient) -> None:
    missing = await portal.get(LOOKUP)
    assert missing.status_code == 422
    assert missing.json()["field"] == "MaHoSo"
    unknown = await portal.get(LOOKUP, params={"MaHoSo": "H31.01-20990101-0001"})
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "HOSO_KHONG_TON_TAI"


async def test_the_portal_forgets_its_oldest_dossiers_beyond_its_capacity(population: Population) -> None:
    gateway = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    settings = PortalSettings(gateway_url="http://lgsp.test", max_dossiers=3)
    app = create_app(settings, population=population, transport=gateway)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        run = {"count": 5, "rate_per_second": 100}
        sent = (await portal.post("/_control/portal/send", json=run)).json()["dossiers"]
        found = [(await portal.get(LOOKUP, params={"MaHoSo": number})).status_code for number in sent]
    assert found == [404, 404, 200, 200, 200]


async def test_fault_controls_are_installed_under_the_name_portal(portal: httpx.AsyncClient) -> None:
    assert (await portal.get("/_control/faults")).json()["name"] == "portal"


async def test_a_fee_request_shows_its_payment_link_to_the_citizen_and_a_new_link_may_follow(
    portal: httpx.AsyncClient,
) -> None:
    ma_ho_so = await sent_dossier(portal)
    first = update(ma_ho_so, 6, "20990101080000", UrlThanhToan="http://paygov/pay/a")
    assert (await portal.post(UPDATE, json=first)).status_code == 200
    again = update(ma_ho_so, 6, "20990101090000", UrlThanhToan="http://paygov/pay/b")
    assert (await portal.post(UPDATE, json=again)).status_code == 200  # 6 → 6: the second attempt's link
    assert (await portal.post(UPDATE, json=again)).status_code == 200  # a repeat: shown once
    for status, note in ((4, "thụ lý"), (9, "có kết quả"), (9, "trả tại một cửa"), (10, "đã trả")):
        body = update(ma_ho_so, status, "20990101100000", NoiDung=note)  # 9 → 9: a later note on the result
        assert (await portal.post(UPDATE, json=body)).status_code == 200
    assert await history(portal, ma_ho_so) == [1, 6, 6, 4, 9, 9, 10]
    payments = (await portal.get("/_control/portal/payments")).json()
    assert payments["owed"] == 2 and payments["waiting"] == 2


async def test_a_payment_link_with_any_status_but_6_is_refused_and_changes_nothing(
    portal: httpx.AsyncClient,
) -> None:
    ma_ho_so = await sent_dossier(portal)
    wrong = update(ma_ho_so, 4, UrlThanhToan="http://paygov/pay/a")
    answer = await portal.post(UPDATE, json=wrong)
    assert answer.status_code == 422 and "UrlThanhToan" in answer.json()["message"], answer.text
    not_a_link = update(ma_ho_so, 6, UrlThanhToan="javascript:alert(1)")
    assert (await portal.post(UPDATE, json=not_a_link)).status_code == 422
    assert await history(portal, ma_ho_so) == [1]
    assert (await portal.get("/_control/portal/payments")).json()["owed"] == 0


FILE = "/_control/portal/dossiers"


def filed_elsewhere(population: Population) -> dict[str, Any]:
    """A dossier the portal never sent itself (a load test's), as DongBoHoSoMC carries it."""
    dossier = DossierFactory(population, seed=77).next_dossier().model_dump()
    return dossier | {"MaHoSo": "H31-t-000001"}


async def test_a_dossier_filed_from_outside_takes_progress_and_a_repeat_changes_nothing(
    portal: httpx.AsyncClient, population: Population
) -> None:
    dossier = filed_elsewhere(population)
    assert (await portal.post(UPDATE, json=update(dossier["MaHoSo"], 2))).status_code == 404  # not yet filed
    first = await portal.post(FILE, json=dossier)
    assert first.status_code == 201, first.text
    assert first.json()["MaHoSo"] == dossier["MaHoSo"]
    assert (await portal.post(UPDATE, json=update(dossier["MaHoSo"], 2))).status_code == 200
    again = await portal.post(FILE, json=dossier)
    assert again.status_code == 200, again.text
    assert await history(portal, dossier["MaHoSo"]) == [1, 2]  # its history was not started again
    assert (await portal.get(FILE)).json() == {"dossiers": 1}


async def test_another_dossier_under_a_filed_number_is_409_and_changes_nothing(
    portal: httpx.AsyncClient, population: Population
) -> None:
    dossier = filed_elsewhere(population)
    await portal.post(FILE, json=dossier)
    other = await portal.post(FILE, json=dossier | {"TrichYeuHoSo": "another dossier"})
    assert other.status_code == 409
    assert other.json()["error_code"] == "TRUNG_MA_HO_SO" and other.json()["field"] == "MaHoSo"
    found = (await portal.get(LOOKUP, params={"MaHoSo": dossier["MaHoSo"]})).json()
    assert found["HoSo"]["TrichYeuHoSo"] == dossier["TrichYeuHoSo"]
    malformed = await portal.post(FILE, json=dossier | {"MaHoSo": "H31-t-2", "KenhThucHien": 9})
    assert malformed.status_code == 422 and malformed.json()["field"] == "KenhThucHien"
    for field, bad in (("MaHoSo", ""), ("NgayTiepNhan", "00000000000000"), ("NgayHenTra", "20261332000000")):
        refused = await portal.post(FILE, json=dossier | {"MaHoSo": "H31-t-3", field: bad})
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    assert (await portal.get(FILE)).json() == {"dossiers": 1}
