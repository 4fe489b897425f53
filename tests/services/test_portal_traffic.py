"""Citizens filing interconnected dossiers, ordinary dossiers and judicial-record certificate requests on
the portal: handed to the province as journeys (`POST /journeys/{kind}` with the portal's credentials) at
a rate per procedure, drawn from the seeded population, started, changed and stopped through the portal's
control API."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta

import httpx
import pytest

from lgsp.journeys.input_checks import check_inputs
from services.citizens import Population
from services.clock import VIETNAM_TIME
from services.journey_forms import age_on
from services.portal.app import create_app
from services.portal.citizen_draws import CitizenDraws
from services.portal.citizen_traffic import CitizenTraffic
from services.portal.settings import PortalSettings
from vn_calendar import WorkingCalendar

SETTINGS = PortalSettings(gateway_url="http://lgsp.test:8000", api_key="k-portal", traffic_tick_seconds=0.01)
TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=20_000)


class FakeGateway:
    """Answers every journey start 202 and keeps what it was sent."""

    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, object], httpx.Headers]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.started.append((request.url.path, body, request.headers))
        return httpx.Response(202, json={"journey_id": str(len(self.started))})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def traffic_over(population: Population, gateway: FakeGateway, seed: int = 7) -> CitizenTraffic:
    draws = CitizenDraws(population, seed=seed)
    return CitizenTraffic(SETTINGS, draws, transport=gateway.transport(), today=lambda: TODAY)


async def test_the_generator_files_what_its_rates_earn_over_an_interval(population: Population) -> None:
    gateway = FakeGateway()
    traffic = traffic_over(population, gateway)
    await traffic.start({"birth": 6.0, "death": 1.5}, loop=False)
    # 90 s in uneven ticks: 9 births and 2.25 deaths earned, whatever the tick.
    for elapsed in (10.0, 0.5, 29.5, 20.0, 30.0):
        await traffic.pump(elapsed)
    await traffic.stop()
    status = traffic.status()
    assert status.filed == {"birth": 9, "death": 2, "dossier": 0, "lltp": 0}
    assert status.answers == {"birth": {"202": 9}, "death": {"202": 2}, "dossier": {}, "lltp": {}}
    assert sorted(path for path, _, _ in gateway.started) == ["/journeys/birth"] * 9 + ["/journeys/death"] * 2
    for _, body, headers in gateway.started:
        assert headers["x-road-client"] == "VN/GOV/DVCQG/PORTAL" and headers["x-api-key"] == "k-portal"
        assert str(body["dossier_code"]).startswith("H31.LT-")
    assert len({body["dossier_code"] for _, body, _ in gateway.started}) == 11
    # The fraction carries over: 30 s more files the third death (2.25 + 0.75 = 3).
    await traffic.start({"death": 1.5}, loop=False)
    await traffic.pump(30.0)
    await traffic.close()
    assert traffic.status().filed == {"birth": 9, "death": 3, "dossier": 0, "lltp": 0}


async def test_the_same_seed_draws_the_same_citizens_and_nobody_dies_twice(population: Population) -> None:
    def subjects(seed: int) -> list[str]:
        draws = CitizenDraws(population, seed=seed)
        forms = [draws.form("birth", TODAY) for _ in range(3)] + [
            draws.form("death", TODAY) for _ in range(20)
        ]
        return (
            [str(f["guardian"]["id_number"]) for f in forms[:3]]
            + [  # type: ignore[index]
                str(f["deceased"]["id_number"])
                for f in forms[3:]  # type: ignore[index]
            ]
        )

    first, again, other = subjects(11), subjects(11), subjects(12)
    assert first == again and first != other
    assert len(set(first[3:])) == 20
    for id_number in first[:3]:
        mother = population.citizen(id_number)
        assert mother is not None and mother.sex == "F"


async def test_traffic_is_started_changed_and_stopped_through_the_control_api(population: Population) -> None:
    gateway = FakeGateway()
    app = create_app(SETTINGS, population=population, transport=gateway.transport())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        idle = (await portal.get("/_control/portal/traffic")).json()
        assert idle["running"] is False and idle["filed"] == {"birth": 0, "death": 0, "dossier": 0, "lltp": 0}

        unknown = await portal.put("/_control/portal/traffic", json={"rates_per_minute": {"marriage": 1}})
        assert unknown.status_code == 422 and unknown.json()["field"].startswith("rates_per_minute")
        too_fast = await portal.put("/_control/portal/traffic", json={"rates_per_minute": {"birth": 1e9}})
        assert too_fast.status_code == 422
        assert (await portal.get("/_control/portal/traffic")).json()["running"] is False

        started = await portal.put("/_control/portal/traffic", json={"rates_per_minute": {"birth": 3000}})
        assert started.status_code == 200 and started.json()["running"] is True
        for _ in range(200):  # 50 a second: a few ticks file some
            if gateway.started:
                break
            await asyncio.sleep(0.01)
        changed = await portal.put("/_control/portal/traffic", json={"rates_per_minute": {"death": 0.5}})
        assert changed.json()["rates_per_minute"] == {"death": 0.5}
        stopped = (await portal.delete("/_control/portal/traffic")).json()
        assert stopped["running"] is False and stopped["filed"]["birth"] >= 1
        assert sum(stopped["answers"]["birth"].values()) == stopped["filed"]["birth"]  # none left in flight
        count = len(gateway.started)
        await asyncio.sleep(0.05)
        assert len(gateway.started) == count  # stopped: nothing more is filed
    await app.state.traffic.close()


async def test_an_ordinary_dossier_is_filed_in_the_portals_book_before_it_is_handed_to_the_province(
    population: Population,
) -> None:
    gateway = FakeGateway()
    app = create_app(SETTINGS, population=population, transport=gateway.transport())
    traffic: CitizenTraffic = app.state.traffic
    await traffic.start({"dossier": 2.0}, loop=False)
    await traffic.pump(60.0)
    await traffic.close()
    assert traffic.status().answers["dossier"] == {"202": 2}
    assert [path for path, _, _ in gateway.started] == ["/journeys/dossier"] * 2
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        for _, body, _ in gateway.started:
            code, inputs = str(body["dossier_code"]), body["inputs"]
            assert isinstance(inputs, dict)
            filed = (await portal.get("/api/TraCuuHoSo", params={"MaHoSo": code})).json()
            record = filed["HoSo"]
            assert filed["TrangThaiHoSo"] == 1 and record["KenhThucHien"] == 2  # filed online, new
            # The journey's citizen and fee are the portal's own record of the dossier.
            assert record["ChuHoSo"] == {
                "HoVaTen": inputs["citizen"]["full_name"], "SoDinhDanh": inputs["citizen"]["id_number"]
            }  # fmt: skip
            fee = record["LePhi"][0]
            assert (inputs["fee"]["code"], inputs["fee"]["amount_vnd"]) == (fee["MaPhiLePhi"], fee["Gia"])
            assert inputs["fee"]["procedure_code"] == record["MaTTHC"]
            assert inputs["received_at"].startswith(
                f"{record['NgayTiepNhan'][:4]}-{record['NgayTiepNhan'][4:6]}-{record['NgayTiepNhan'][6:8]}"
            )
            # So the province's first progress report on it is accepted (it was 404 before).
            accepted = await portal.post(
                "/api/CapNhatTienDoHoSoMC",
                json={"MaHoSo": code, "TrangThaiHoSo": 2, "NgayCapNhat": record["NgayTiepNhan"],
                      "NoiDung": "Tiếp nhận hồ sơ"},
            )  # fmt: skip
            assert accepted.status_code == 200, accepted.text


async def test_one_citizen_files_a_dossier_now_through_the_control_api(population: Population) -> None:
    gateway = FakeGateway()
    app = create_app(SETTINGS, population=population, transport=gateway.transport())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        filed = await portal.post("/_control/portal/traffic/file", json={"procedure": "dossier"})
        assert filed.status_code == 200, filed.text
        answer = filed.json()
        assert (answer["procedure"], answer["status_code"], answer["answer"]) == (
            "dossier",
            202,
            {"journey_id": "1"},
        )
        assert [(path, body["dossier_code"]) for path, body, _ in gateway.started] == [
            ("/journeys/dossier", answer["dossier_code"])
        ]
        recorded = await portal.get("/api/TraCuuHoSo", params={"MaHoSo": answer["dossier_code"]})
        assert recorded.status_code == 200
        unknown = await portal.post("/_control/portal/traffic/file", json={"procedure": "marriage"})
        assert unknown.status_code == 422 and len(gateway.started) == 1
        status = (await portal.get("/_control/portal/traffic")).json()
        assert status["running"] is False and status["filed"]["dossier"] == 1
    await app.state.traffic.close()


async def test_certificate_requests_are_filed_in_the_portals_book_no_1_or_2_by_post_or_at_the_counter(
    population: Population,
) -> None:
    gateway = FakeGateway()
    app = create_app(SETTINGS, population=population, transport=gateway.transport())
    traffic: CitizenTraffic = app.state.traffic
    await traffic.start({"lltp": 12.0}, loop=False)
    await traffic.pump(60.0)
    await traffic.close()
    assert traffic.status().answers["lltp"] == {"202": 12}
    assert [path for path, _, _ in gateway.started] == ["/journeys/lltp"] * 12
    kinds, deliveries, calendar = set(), set(), WorkingCalendar()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        for _, body, _ in gateway.started:
            inputs = body["inputs"]
            assert isinstance(inputs, dict)
            received = datetime.fromisoformat(inputs["received_at"])
            check_inputs("lltp", inputs, received)  # what the province's bus accepts
            request, applicant = inputs["request"], inputs["request"]["applicant"]
            person = population.citizen(applicant["id_number"])
            assert person is not None and person.full_name == applicant["full_name"]
            assert age_on(person, received.date()) >= 18
            several = person.birth_registration.province != person.permanent_address.province
            assert inputs["several_places"] == several
            due = calendar.add_working_days(received, 15 if several else 10)
            assert request["appointment_date"] == due.date().isoformat()
            assert ("parcel" in inputs) == (inputs["delivery"] == "post")
            kinds.add(request["certificate_type"])
            deliveries.add(inputs["delivery"])
            # The portal's own record: the certificate procedure, its 200,000 VND fee, the same citizen.
            code = str(body["dossier_code"])
            record = (await portal.get("/api/TraCuuHoSo", params={"MaHoSo": code})).json()["HoSo"]
            assert record["MaTTHC"] == inputs["fee"]["procedure_code"] == "1.004227"
            assert record["LePhi"][0]["Gia"] == inputs["fee"]["amount_vnd"] == 200_000
            assert record["ChuHoSo"] == {"HoVaTen": person.full_name, "SoDinhDanh": person.id_number}
    assert kinds == {1, 2} and deliveries == {"post", "counter"}


async def test_certificate_requests_are_received_at_the_portals_clock_which_the_bus_leads(
    population: Population,
) -> None:
    """A compressed bus runs its simulated time ahead of the wall clock and the agencies follow it: a
    request received at the wall's time would have an appointment already past for them."""
    gateway = FakeGateway()
    app = create_app(SETTINGS, population=population, transport=gateway.transport())
    ahead = (datetime.now(VIETNAM_TIME) + timedelta(days=90)).replace(microsecond=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as portal:
        jumped = await portal.post("/_control/clock/jump", json={"now": ahead.isoformat()})
        assert jumped.status_code == 200, jumped.text
        filed = (await portal.post("/_control/portal/traffic/file", json={"procedure": "lltp"})).json()
        record = (await portal.get("/api/TraCuuHoSo", params={"MaHoSo": filed["dossier_code"]})).json()[
            "HoSo"
        ]
    await app.state.traffic.close()
    inputs = gateway.started[0][1]["inputs"]
    assert isinstance(inputs, dict)
    received = datetime.fromisoformat(inputs["received_at"])
    assert timedelta(0) <= received - ahead < timedelta(minutes=1)
    assert record["NgayTiepNhan"] == f"{received:%Y%m%d%H%M%S}"
    days = 15 if inputs["several_places"] else 10
    due = WorkingCalendar().add_working_days(received, days).date()
    assert (
        inputs["request"]["appointment_date"] == due.isoformat() and due > (ahead + timedelta(days=13)).date()
    )
