"""Citizens filing on the portal: the dossiers it hands to the province over `POST /journeys/{kind}`, with
the portal's own credentials, run as the one-stop's journeys to their end, and the portal hears every
status with the time it received it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.errors import BusError
from bus.flows.journey_records import JourneyRecord, StepRecord
from bus.flows.journey_state import StepStatus
from bus.gateway.routing import error_response
from services.portal.citizen_draws import CitizenDraws
from services.portal.citizen_traffic import CitizenTraffic
from services.portal.settings import PortalSettings
from services.registry import PORTAL_DEMO_KEY
from tests.lgsp.citizen_journeys import CitizenJourneys

pytestmark = pytest.mark.slow


def gateway_over(stack: CitizenJourneys) -> httpx.ASGITransport:
    """The gateway's `/journeys` routes over the stack's journeys, in process."""
    app = FastAPI()
    app.include_router(stack.runtime.router())

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, None)

    return httpx.ASGITransport(app=app)


async def test_dossiers_the_portals_citizens_file_run_to_their_end_as_the_one_stops_journeys(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    settings = PortalSettings(gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY)
    traffic = CitizenTraffic(
        settings, CitizenDraws(stack.mocks.population, seed=5), transport=gateway_over(stack),
        today=lambda: stack.today,
    )  # fmt: skip
    await traffic.start({"birth": 2.0, "death": 1.0}, loop=False)
    await traffic.pump(60.0)  # a minute's worth: two births and a death
    await traffic.close()
    status = traffic.status()
    assert status.answers == {"birth": {"202": 2}, "death": {"202": 1}, "dossier": {}, "lltp": {}}, status

    for code in status.dossiers:
        started = await stack.runtime.journeys.find(code)
        assert started is not None
        assert (started.client, started.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")
        record = await stack.finished(started.journey_id)
        assert record.status == "completed", record.model_dump_json(indent=1)
        async with stack.mocks.client("portal") as portal:
            history = (await portal.get("/api/lienthong/TraCuu", params={"maHoSo": code})).json()["lichSu"]
        assert history[0]["trangThai"] == 1 and history[-1]["trangThai"] == 5
        received = [datetime.strptime(entry["thoiGianNhan"], "%Y%m%d%H%M%S") for entry in history]
        assert received == sorted(received)


def step(record: JourneyRecord, name: str) -> StepRecord:
    """The journey's step `name`."""
    return next(s for s in record.steps if s.step == name)


async def test_an_ordinary_dossier_the_portal_files_runs_on_the_real_mocks_up_to_the_officers_decision(
    citizen_journeys: CitizenJourneys,
) -> None:
    """Filed in the portal's book first, the dossier's progress reports are accepted there (they were
    answered 404 before); the citizen pays on PayGov's page, the payment is reconciled, and the journey
    follows processing at the portal. Completion needs the officers' decision (status 9), which nothing
    on the real stack records yet: the test stops there."""
    stack = citizen_journeys
    settings = PortalSettings(gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY)
    traffic = CitizenTraffic(
        settings, CitizenDraws(stack.mocks.population, seed=5), transport=gateway_over(stack),
        book=stack.mocks.apps["portal"].state.dossiers,
    )  # fmt: skip
    filed = await traffic.file_one("dossier")
    await traffic.close()
    assert filed is not None and filed.status_code == 202, filed
    journey = await stack.until_found(filed.dossier_code)
    assert (journey.client, journey.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")

    # The citizen pays the fee on the platform's page the one-stop hands them.
    unpaid = await stack.until(journey.journey_id, lambda r: step(r, "pay").status == StepStatus.DONE)
    result = step(unpaid, "pay").result
    assert isinstance(result, dict)
    page = urlsplit(str(result["payment_url"])).path
    async with stack.mocks.client("payment") as payment:
        paid = await payment.post(page, data={"outcome": "success"})
    assert paid.status_code == 200, paid.text

    following = await stack.until(
        journey.journey_id, lambda r: step(r, "result").status in (StepStatus.RUNNING, StepStatus.WAITING)
    )
    assert following.status == "running", following.model_dump_json(indent=1)
    reconciled = step(following, "reconcile").result
    assert isinstance(reconciled, dict) and reconciled["status"] == "success"
    async with stack.mocks.client("portal") as portal:
        lookup = await portal.get("/api/TraCuuHoSo", params={"MaHoSo": filed.dossier_code})
    assert lookup.status_code == 200, lookup.text
    assert [entry["TrangThaiHoSo"] for entry in lookup.json()["LichSuXuLy"]] == [1, 2, 6, 4]


async def test_certificate_requests_the_portal_files_run_to_their_result_returned(
    citizen_journeys: CitizenJourneys,
) -> None:
    """Judicial-record certificates asked for on the portal: recorded in its book, handed to the province,
    paid on PayGov's page, requested from the judicial-records system, polled until issued and returned
    by VNPost or at the counter, the portal hearing every status (1 received … 10 result returned)."""
    stack = citizen_journeys
    settings = PortalSettings(gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY)
    traffic = CitizenTraffic(
        settings, CitizenDraws(stack.mocks.population, seed=3), transport=gateway_over(stack),
        book=stack.mocks.apps["portal"].state.dossiers,
    )  # fmt: skip
    filed = [await traffic.file_one("lltp") for _ in range(2)]
    await traffic.close()
    journeys = []
    for one in filed:
        assert one is not None and one.status_code == 202, one
        journey = await stack.until_found(one.dossier_code)
        assert (journey.client, journey.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")
        journeys.append(journey)

    for journey in journeys:  # each citizen pays on the platform's page the one-stop hands them
        unpaid = await stack.until(journey.journey_id, lambda r: step(r, "pay").status == StepStatus.DONE)
        result = step(unpaid, "pay").result
        assert isinstance(result, dict)
        async with stack.mocks.client("payment") as payment:
            paid = await payment.post(urlsplit(str(result["payment_url"])).path, data={"outcome": "success"})
        assert paid.status_code == 200, paid.text

    for journey in journeys:
        record = await stack.finished(journey.journey_id, timeout=60.0)
        assert record.status == "completed", record.model_dump_json(indent=1)
        inputs = record.inputs
        assert isinstance(inputs, dict)
        polled = step(record, "result_long" if inputs["several_places"] else "result").result
        assert isinstance(polled, dict) and polled["case"]["status"] == "issued"  # type: ignore[index,call-overload]
        posted = step(record, "parcel").status
        assert posted == (StepStatus.DONE if inputs["delivery"] == "post" else StepStatus.SKIPPED)
        async with stack.mocks.client("portal") as portal:
            lookup = await portal.get("/api/TraCuuHoSo", params={"MaHoSo": record.dossier_code})
        assert [entry["TrangThaiHoSo"] for entry in lookup.json()["LichSuXuLy"]] == [1, 2, 6, 4, 9, 10]
