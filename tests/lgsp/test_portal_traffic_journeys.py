"""Citizens filing on the portal: the dossiers it hands to the province over `POST /journeys/{kind}`, with
the portal's own credentials, run as the one-stop's journeys to their end, and the portal hears every
status with the time it received it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.errors import BusError
from bus.flows.journey_records import JourneyRecord, StepRecord
from bus.flows.journey_state import StepStatus
from bus.flows.timeliness import Verdict
from bus.gateway.routing import error_response
from services.faults import Latency
from services.lltp.settings import LltpSettings
from services.motcua.settings import MotcuaSettings
from services.portal.citizen_draws import CitizenDraws
from services.portal.citizen_traffic import CitizenTraffic
from services.portal.settings import PortalSettings
from services.registry import PORTAL_DEMO_KEY
from tests.lgsp.citizen_journeys import CitizenJourneys
from vn_calendar import VIETNAM_TZ, WorkingCalendar

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


def portal_citizens(stack: CitizenJourneys, seed: int) -> CitizenTraffic:
    """The portal mock's citizens (its settings, its dossier book), filing through the stack's gateway."""
    portal = stack.mocks.apps["portal"]
    return CitizenTraffic(
        portal.state.traffic.settings, CitizenDraws(stack.mocks.population, seed=seed),
        transport=gateway_over(stack), book=portal.state.dossiers,
    )  # fmt: skip


def step(record: JourneyRecord, name: str) -> StepRecord:
    """The journey's step `name`."""
    return next(s for s in record.steps if s.step == name)


async def file_dossier(stack: CitizenJourneys) -> JourneyRecord:
    """A citizen files an ordinary dossier on the portal, which records it and hands it to the province;
    nothing else is driven by hand: the citizen pays from the portal's link, the officers decide in the
    one-stop system, VNPost returns the result, all on the compressed clock. The journey once ended."""
    traffic = portal_citizens(stack, seed=5)
    filed = await traffic.file_one("dossier")
    await traffic.close()
    assert filed is not None and filed.status_code == 202, filed
    journey = await stack.until_found(filed.dossier_code)
    assert (journey.client, journey.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")
    return await stack.finished(journey.journey_id, timeout=60)


async def portal_statuses(stack: CitizenJourneys, code: str) -> list[int]:
    """The statuses the portal recorded for dossier `code`, in order."""
    async with stack.mocks.client("portal") as portal:
        lookup = await portal.get("/api/TraCuuHoSo", params={"MaHoSo": code})
    assert lookup.status_code == 200, lookup.text
    return [entry["TrangThaiHoSo"] for entry in lookup.json()["LichSuXuLy"]]


async def effects(stack: CitizenJourneys, mock: str, path: str = "/_control/effects") -> dict[str, Any]:
    """A mock's counters."""
    async with stack.mocks.client(mock) as client:
        answer: dict[str, Any] = (await client.get(path)).json()
    return answer


def verdicts_implied(delivered_at: datetime, due_at: datetime) -> set[Verdict]:
    """The verdicts a dossier VNPost delivered at `delivered_at` may get against `due_at`: late when
    delivered after the appointment day; early or on time when delivered a working day or more before it
    (the bus polls VNPost every 2 simulated hours and pushes the result: a working day, one wall second,
    is room enough even on a loaded machine); on the appointment day itself, on time or late as the bus's
    lag (its calls and timers waiting for CPU, the simulated clock running on) decides."""
    delivered_day, due_day = (moment.astimezone(VIETNAM_TZ).date() for moment in (delivered_at, due_at))
    if delivered_day > due_day:
        return {Verdict.LATE}
    if delivered_day < due_day and WorkingCalendar().next_working_day(delivered_day) <= due_day:
        return {Verdict.EARLY, Verdict.ON_TIME}
    return {Verdict.ON_TIME, Verdict.LATE}


async def test_an_ordinary_dossier_the_portal_files_runs_to_its_end_on_the_real_mocks(
    citizen_journeys: CitizenJourneys,
) -> None:
    """Filed, paid by the citizen on PayGov's page (the portal shows the link with status 6), reconciled,
    handed to the one-stop's officers, approved, returned by VNPost, judged as the mocks' draws imply.

    The 5 working days hold a working day's wait for the payment's notice (none is routed here: the
    payment is found by the query that follows), the officers' 2-16 working hours and VNPost's 15-78
    hours: whether the dossier is on time depends on the draws and the weekday, and, on a compressed clock
    (a working day a wall second), on the bus's lag; so the verdict is checked against the moment VNPost
    delivered, with a working day's margin."""
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "completed", record.model_dump_json(indent=1)
    delivered = step(record, "delivered")
    tracked = delivered.result
    assert isinstance(tracked, dict) and tracked["items"][0]["status"] == "delivered"  # type: ignore[index,call-overload]
    delivered_at = datetime.fromisoformat(tracked["items"][0]["event_time"])  # type: ignore[index,call-overload,arg-type]
    assert record.due_at is not None and record.finished_at is not None and record.finished_at >= delivered_at
    assert record.verdict in verdicts_implied(delivered_at, record.due_at), record.model_dump_json(indent=1)
    assert delivered.due_at is not None and delivered.verdict in verdicts_implied(
        delivered_at, delivered.due_at
    )
    assert all(s.verdict not in (Verdict.LATE, Verdict.OPEN_LATE) for s in record.steps if s is not delivered)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 9, 10]
    decision = step(record, "decided").result
    assert isinstance(decision, dict) and decision["status"] == 9 and decision["officer"]
    assert (await effects(stack, "portal", "/_control/portal/payments"))["paid"] == {"on_time": 1}
    paid = await effects(stack, "payment")
    assert paid["payments_created"] == 1 and paid["payments_succeeded"] == 1 and paid["refunds"] == 0
    assert (await effects(stack, "motcua"))["dossiers_received"] == 1
    assert (await effects(stack, "vnpost"))["orders_posted"] == 1
    assert step(record, "delivered").status == StepStatus.DONE


@pytest.mark.parametrize("kind", ["dossier", "lltp"])
async def test_a_dossier_whose_citizen_the_population_database_does_not_know_is_not_accepted_at_the_portal(
    citizen_journeys: CitizenJourneys, kind: str
) -> None:
    """An ordinary dossier or a certificate request filed in the portal's book (1) with a name the
    population database does not hold for that ID number: the portal hears it not accepted (3), and no
    fee is asked."""
    stack = citizen_journeys
    code = f"H31.LT-NOTACCEPTED-{kind.upper()}"
    draws = CitizenDraws(stack.mocks.population, seed=5)
    record, inputs = (draws.dossier if kind == "dossier" else draws.certificate)(
        code, stack.clock.now(), "H31"
    )
    stack.mocks.apps["portal"].state.dossiers.add(record)
    holder = inputs if kind == "dossier" else inputs["request"]
    assert isinstance(holder, dict)
    person = holder["citizen" if kind == "dossier" else "applicant"]
    assert isinstance(person, dict)
    person["full_name"] = "Người Không Có"
    ended = await stack.finished((await stack.start(kind, inputs, code)).journey_id)

    assert ended.status == "refused" and "not_accepted" in (ended.reason or ""), ended.reason
    assert await portal_statuses(stack, code) == [1, 3]
    assert (await effects(stack, "payment"))["payments_created"] == 0


REFUSING = MotcuaSettings(gateway_url=None, latency=Latency(), refusal_rate=1.0, supplement_rate=0.0)


@pytest.mark.parametrize("motcua_settings", [REFUSING])
async def test_a_dossier_the_officers_refuse_is_stopped_at_the_portal_and_its_fee_refunded(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "refused", record.model_dump_json(indent=1)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 8]
    refunded = await effects(stack, "payment")
    assert refunded["refunds"] == 1 and refunded["receipts_cancelled"] == 1
    assert (await effects(stack, "vnpost"))["orders_posted"] == 0


SUPPLEMENTING = MotcuaSettings(gateway_url=None, latency=Latency(), refusal_rate=0.0, supplement_rate=1.0)


@pytest.mark.parametrize("motcua_settings", [SUPPLEMENTING])
async def test_papers_the_officers_ask_for_are_mirrored_to_the_portal_and_the_dossier_goes_on(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "completed", record.model_dump_json(indent=1)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 5, 4, 9, 10]


ABANDONED = MotcuaSettings(
    gateway_url=None, latency=Latency(), refusal_rate=0.0, supplement_rate=1.0, abandon_rate=1.0
)


@pytest.mark.parametrize("motcua_settings", [ABANDONED])
async def test_a_dossier_whose_papers_never_come_is_stopped_at_the_portal_once_and_its_fee_refunded(
    citizen_journeys: CitizenJourneys,
) -> None:
    """The officers ask for papers (5) the citizen never brings: after 7 working days the one-stop
    stops the dossier (8), which the portal hears once; the fee is refunded."""
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "refused", record.model_dump_json(indent=1)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 5, 8]
    refunded = await effects(stack, "payment")
    assert refunded["refunds"] == 1 and refunded["receipts_cancelled"] == 1
    assert (await effects(stack, "vnpost"))["orders_posted"] == 0


def citizens(**rates: float) -> PortalSettings:
    """The portal's settings with citizens paying as `rates` say."""
    return PortalSettings(
        gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY, late_payment_rate=0.0,
        failed_payment_rate=0.0, abandoned_payment_rate=0.0,
    ).model_copy(update=rates)  # fmt: skip


@pytest.mark.parametrize("portal_settings", [citizens(late_payment_rate=1.0)])
async def test_a_citizen_paying_a_day_or_two_late_is_reconciled_and_the_dossier_completes(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "completed", record.model_dump_json(indent=1)
    assert (await effects(stack, "portal", "/_control/portal/payments"))["paid"] == {"late": 1}
    reconciled = step(record, "reconcile").result
    assert isinstance(reconciled, dict) and reconciled["status"] == "success"
    assert (await effects(stack, "payment"))["payments_created"] == 1


@pytest.mark.parametrize("portal_settings", [citizens(failed_payment_rate=1.0)])
async def test_a_citizen_whose_payment_fails_twice_has_the_dossier_refused_unpaid(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    record = await file_dossier(stack)

    assert record.status == "refused", record.model_dump_json(indent=1)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 6, 8]  # stopped, once
    assert (await effects(stack, "portal", "/_control/portal/payments"))["paid"] == {"failed": 2}
    assert (await effects(stack, "motcua"))["dossiers_received"] == 0


REFUSING_RECORDS = LltpSettings(certificate_days=2, several_places_days=3, refusal_rate=1.0, late_rate=0.0)


@pytest.mark.parametrize("lltp_settings", [REFUSING_RECORDS])
async def test_a_certificate_the_records_refuse_is_stopped_at_the_portal_and_its_fee_refunded(
    citizen_journeys: CitizenJourneys,
) -> None:
    """The portal had heard "processing" (4): it hears the dossier stopped (8), not nothing."""
    stack = citizen_journeys
    traffic = portal_citizens(stack, seed=3)
    filed = await traffic.file_one("lltp")
    await traffic.close()
    assert filed is not None and filed.status_code == 202, filed
    journey = await stack.until_found(filed.dossier_code)
    record = await stack.finished(journey.journey_id, timeout=60.0)

    assert record.status == "refused", record.model_dump_json(indent=1)
    assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 8]
    refunded = await effects(stack, "payment")
    assert refunded["refunds"] == 1 and refunded["receipts_cancelled"] == 1
    assert (await effects(stack, "vnpost"))["orders_posted"] == 0


async def test_certificate_requests_the_portal_files_run_to_their_result_returned(
    citizen_journeys: CitizenJourneys,
) -> None:
    """Judicial-record certificates asked for on the portal: recorded in its book, handed to the province,
    paid by the citizen from the link the portal shows with status 6 (nothing paid by hand), requested
    from the judicial-records system, polled until issued and returned by VNPost or at the counter, the
    portal hearing every status (1 received … 10 result returned)."""
    stack = citizen_journeys
    traffic = portal_citizens(stack, seed=3)
    filed = [await traffic.file_one("lltp") for _ in range(2)]
    await traffic.close()
    journeys = []
    for one in filed:
        assert one is not None and one.status_code == 202, one
        journey = await stack.until_found(one.dossier_code)
        assert (journey.client, journey.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")
        journeys.append(journey)

    for journey in journeys:
        record = await stack.finished(journey.journey_id, timeout=60.0)
        assert record.status == "completed", record.model_dump_json(indent=1)
        inputs = record.inputs
        assert isinstance(inputs, dict)
        polled = step(record, "result_long" if inputs["several_places"] else "result").result
        assert isinstance(polled, dict) and polled["case"]["status"] == "issued"  # type: ignore[index,call-overload]
        posted = step(record, "parcel").status
        assert posted == (StepStatus.DONE if inputs["delivery"] == "post" else StepStatus.SKIPPED)
        assert await portal_statuses(stack, record.dossier_code) == [1, 2, 6, 4, 9, 10]
    assert (await effects(stack, "portal", "/_control/portal/payments"))["paid"] == {"on_time": 2}
    paid = await effects(stack, "payment")
    assert paid["payments_created"] == 2 and paid["payments_succeeded"] == 2


# The mock's real period (10 working days from the one-stop's reception), nothing late or refused, and
# 6 of those days left for the return: issued by the 4th, so VNPost's 15-78 h and the journey's polls end
# a working day or more before the appointment even with the bus lagging on a loaded machine.
ON_TIME_RECORDS = LltpSettings(refusal_rate=0.0, late_rate=0.0, return_days=6)


@pytest.mark.parametrize("lltp_settings", [ON_TIME_RECORDS])
async def test_a_certificate_the_records_office_issues_on_time_is_returned_by_post_on_time(
    citizen_journeys: CitizenJourneys,
) -> None:
    """A certificate for a person who lived in one province (10 working days), filed on the portal, paid,
    verified over the mock's working days, posted: the journey is judged early or on time."""
    stack = citizen_journeys
    traffic = portal_citizens(stack, seed=3)
    record = None
    for _ in range(6):  # the portal's citizens: the first who lived in one province and asked by post
        filed = await traffic.file_one("lltp")
        assert filed is not None and filed.status_code == 202, filed
        journey = await stack.until_found(filed.dossier_code)
        if journey.inputs["several_places"] is False and journey.inputs["delivery"] == "post":
            record = await stack.finished(journey.journey_id, timeout=90.0)
            break
    await traffic.close()
    assert record is not None, "no citizen of one province asking by post among six"

    assert record.status == "completed", record.model_dump_json(indent=1)
    case = step(record, "result").result
    assert isinstance(case, dict) and case["case"]["status"] == "issued"  # type: ignore[index,call-overload]
    assert step(record, "delivered").status == StepStatus.DONE
    assert record.verdict in (Verdict.EARLY, Verdict.ON_TIME), record.model_dump_json(indent=1)
    assert not record.late
