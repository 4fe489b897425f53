"""The province's judicial-record certificate (lgsp/journeys/lltp.yaml) and ordinary dossier
(lgsp/journeys/dossier.yaml) journeys end to end, with their failure branches: the LLTP mock in-process
behind its real adapter, the other systems scripted; a manual clock. On memory and on RabbitMQ + Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from adapters.vnpost.adapter import DEFAULT_CLIENT_ID as VNPOST_CLIENT
from adapters.vnpost.adapter import DEFAULT_CLIENT_SECRET as VNPOST_SECRET
from bus.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from bus.flows import ManualClock
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.journeys import Journeys
from bus.flows.timeliness import Verdict
from bus.monitoring import MonitoringSink, RedisMonitoringState
from bus.txlog import (
    MemoryTransactionLog,
    RedisTransactionLog,
    TransactionLog,
    TransactionLogSink,
    TxLogSettings,
)
from tests.backends import MEMORY
from tests.flows.citizen_stack import CitizenStack, NationalSystems, certificate_inputs, dossier_inputs
from tests.store.conftest import bounded
from vn_calendar import VIETNAM_TZ, WorkingCalendar, vietnam_today

ENDED = (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


@pytest.fixture
def stack(citizen_stack: CitizenStack) -> CitizenStack:
    """The citizen-journey stack (tests/flows/conftest.py) on each backend."""
    return citizen_stack


def clock(stack: CitizenStack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


def scripted(stack: CitizenStack) -> NationalSystems:
    assert stack.national is not None
    return stack.national


def at(step: str, *statuses: StepStatus) -> Callable[[JourneyRecord], bool]:
    def check(record: JourneyRecord) -> bool:
        return record.status in ENDED or next(s for s in record.steps if s.step == step).status in statuses

    return check


def step(record: JourneyRecord, name: str) -> StepStatus:
    return next(s for s in record.steps if s.step == name).status


def portal(stack: CitizenStack) -> list[int]:
    return [status for _, status in scripted(stack).portal]


async def ended(stack: CitizenStack, journey_id: str) -> JourneyRecord:
    return await stack.until(journey_id, lambda record: record.status in ENDED, timeout=20)


async def paid(stack: CitizenStack, journeys: Journeys, kind: str, code: str, inputs: dict[str, Any]) -> str:
    """Start a journey; the citizen pays and the platform confirms it (payment.confirmed); its id."""
    started = await journeys.start(kind, inputs, code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING, StepStatus.DONE))
    await stack.pay(code)
    await stack.publish("paid", {"reference": code, "amount_vnd": 200000})
    return started.journey_id


async def delivered(stack: CitizenStack, journey: str, hours: float = 96) -> JourneyRecord:
    """Let VNPost carry the parcel for `hours`, then the next tracking poll; the journey at its end."""
    await stack.until(journey, at("delivered", StepStatus.WAITING))
    await stack.advance_mock("vnpost", hours)
    await clock(stack).advance(timedelta(hours=2))
    return await ended(stack, journey)


async def test_a_certificate_is_paid_requested_polled_until_issued_and_delivered_by_post(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0001"
    journey = await paid(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))  # polled once: still searching
    await stack.advance_mock("lltp", 24 * 20)
    await clock(stack).advance(timedelta(hours=4))  # the next poll: issued, then the parcel posted
    record = await delivered(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert portal(stack) == [2, 6, 4, 9, 10]
    assert (await stack.mock("lltp").effects())["dang_ky"] == 1
    payments = await stack.mock("payment").effects()
    assert payments["payments_created"] == 1 and payments["refunds"] == 0
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 1
    for skipped in ("reconcile", "repay", "repaid", "rereconcile", "result_long", "counter"):
        assert step(record, skipped) == StepStatus.SKIPPED
    assert all(s.transaction_ids for s in record.steps if s.status == StepStatus.DONE and s.kind != "wait")


async def test_a_refused_certificate_refunds_the_fee_cancels_the_e_receipt_and_posts_nothing(
    stack: CitizenStack,
) -> None:
    stack.lltp_settings = stack.lltp_settings.model_copy(update={"refusal_rate": 1.0})
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0002"
    journey = await paid(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await stack.advance_mock("lltp", 24 * 20)
    await clock(stack).advance(timedelta(hours=4))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    assert "result" in (record.reason or "")
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 1 and payments["receipts_cancelled"] == 1
    assert step(record, "pay") == StepStatus.COMPENSATED
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 0
    assert step(record, "parcel") == StepStatus.CANCELLED
    assert portal(stack) == [2, 6, 4, 8]  # the portal, told "processing", hears the dossier stopped
    assert step(record, "accepted") == StepStatus.COMPENSATED


async def test_a_certificate_request_the_records_reject_refunds_the_fee_and_tells_the_portal(
    stack: CitizenStack,
) -> None:
    """Rejected at filing (before the portal heard "processing"): the portal still hears it stopped."""
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0004"
    inputs = certificate_inputs(stack.people, appointment_date="2020-01-02")  # before the reception day
    record = await ended(stack, await paid(stack, journeys, "lltp", code, inputs))

    assert record.status == JourneyStatus.REFUSED and "request" in (record.reason or ""), record.reason
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 1 and payments["receipts_cancelled"] == 1
    assert step(record, "accepted") == StepStatus.COMPENSATED
    assert portal(stack) == [2, 6, 8]


async def test_a_certificate_request_whose_applicant_the_population_database_does_not_know_is_not_accepted(
    stack: CitizenStack,
) -> None:
    """The portal, which filed the request (1), hears it not accepted (3); no fee is asked."""
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0020"
    inputs = certificate_inputs(stack.people)
    inputs["request"]["applicant"]["full_name"] = "Người Không Có"
    record = await ended(stack, (await journeys.start("lltp", inputs, code)).journey_id)

    assert record.status == JourneyStatus.REFUSED and "not_accepted" in (record.reason or ""), record.reason
    assert [s.step for s in record.steps if s.transaction_ids] == ["citizen", "not_accepted"]
    assert portal(stack) == [3]
    assert (await stack.mock("payment").effects())["payments_created"] == 0


async def both_payments_failed(
    stack: CitizenStack, kind: str, inputs: dict[str, Any], code: str
) -> JourneyRecord:
    """Start a `kind` journey, have the citizen's payment and its second link both fail; its end."""
    stack.load(kind)
    journeys = await stack.start()
    started = await journeys.start(kind, inputs, code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await stack.pay(code, "fail")
    await stack.publish("failed", {"reference": code, "status": "failed"})
    await stack.until(started.journey_id, at("repaid", StepStatus.WAITING))
    await stack.pay(f"{code}-R", "fail")
    await stack.publish("failed", {"reference": f"{code}-R", "status": "failed"})
    return await ended(stack, started.journey_id)


async def test_a_certificate_whose_payment_fails_twice_is_stopped_at_the_portal_once_and_nothing_refunded(
    stack: CitizenStack,
) -> None:
    record = await both_payments_failed(
        stack, "lltp", certificate_inputs(stack.people), "H31.29-20260302-0021"
    )

    assert record.status == JourneyStatus.REFUSED and "repaid" in (record.reason or ""), record.reason
    assert step(record, "accepted") == StepStatus.COMPENSATED
    assert (await stack.mock("payment").effects())["refunds"] == 0  # nothing was paid
    assert portal(stack) == [2, 6, 6, 8]


async def test_a_failed_payment_is_initiated_again_and_the_second_is_confirmed(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0003"
    scripted(stack).dossier_statuses[code] = [9]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await stack.pay(code, "fail")
    await clock(stack).advance(timedelta(days=1, hours=9))  # Tuesday 18:00: no confirmation in a working day
    await stack.until(started.journey_id, at("repaid", StepStatus.WAITING))
    await stack.pay(f"{code}-R")
    await stack.publish("paid", {"reference": f"{code}-R"})
    await stack.until(started.journey_id, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await delivered(stack, started.journey_id)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert (await stack.mock("payment").effects())["payments_created"] == 2
    assert step(record, "reconcile") == StepStatus.DONE and step(record, "rereconcile") == StepStatus.SKIPPED
    assert portal(stack) == [2, 6, 6, 4, 9, 10]  # a second payment link


def logged_and_monitored(stack: CitizenStack) -> tuple[TransactionLog, MonitoringSink]:
    """A transaction log and a monitoring sink fed by the journeys' calls: in memory, or in Redis (under
    the stack's prefix, removed with it)."""
    if stack.backend.kind == MEMORY:
        txlog: TransactionLog = MemoryTransactionLog()
        monitoring = MonitoringSink()
    else:
        url, prefix = bounded(stack.backend.redis_url), stack.backend.key_prefix
        txlog = RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=f"{prefix}txlog"))
        monitoring = MonitoringSink(RedisMonitoringState(url, prefix=f"{prefix}monitoring:"))
    stack.sinks = [TransactionLogSink(txlog), monitoring]
    return txlog, monitoring


async def test_a_payment_the_platform_reports_failed_is_initiated_again_at_once(stack: CitizenStack) -> None:
    txlog, monitoring = logged_and_monitored(stack)
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0014"
    scripted(stack).dossier_statuses[code] = [9]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await stack.pay(code, "fail")
    await stack.publish("failed", {"reference": code, "status": "failed"})  # the platform's IPN
    waiting = await stack.until(started.journey_id, at("repaid", StepStatus.WAITING))  # the clock never moved
    await stack.pay(f"{code}-R")
    await stack.publish("paid", {"reference": f"{code}-R", "status": "success"})
    await stack.until(started.journey_id, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await delivered(stack, started.journey_id)

    assert step(waiting, "repaid") == StepStatus.WAITING and step(waiting, "reconcile") == StepStatus.SKIPPED
    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert (await stack.mock("payment").effects())["payments_created"] == 2
    assert [step(record, name) for name in ("paid", "reconcile", "repay", "repaid", "rereconcile")] == [
        StepStatus.DONE, StepStatus.SKIPPED, StepStatus.DONE, StepStatus.DONE, StepStatus.SKIPPED,
    ]  # fmt: skip
    assert portal(stack) == [2, 6, 6, 4, 9, 10]  # a second payment link
    # One id across systems: the dossier code is every call's issue, so the log and monitoring list them all.
    made = {transaction for s in record.steps for transaction in s.transaction_ids}
    assert len(made) >= 12
    assert {entry.transaction_id for entry in await txlog.by_issue(code)} == made
    assert {r.transaction_id for r in await monitoring.latest(limit=1000, issue=code)} == made
    await txlog.close()
    await monitoring.close()


async def test_a_payment_failed_twice_refuses_the_dossier(stack: CitizenStack) -> None:
    record = await both_payments_failed(
        stack, "dossier", dossier_inputs(stack.people), "H31.29-20260302-0015"
    )

    assert record.status == JourneyStatus.REFUSED and "unpaid_stopped" in (record.reason or ""), record.reason
    assert step(record, "repaid") == StepStatus.DONE and step(record, "processing") == StepStatus.CANCELLED
    assert portal(stack) == [2, 6, 6, 8]  # the second link shown too, then the dossier stopped, once


async def test_a_second_payment_the_query_finds_failed_stops_the_dossier_at_the_portal(
    stack: CitizenStack,
) -> None:
    """The second failure's event lost: the status query learns it, and the portal hears the stop once."""
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0016"
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await stack.pay(code, "fail")
    await stack.publish("failed", {"reference": code, "status": "failed"})
    await stack.until(started.journey_id, at("repaid", StepStatus.WAITING))
    await stack.pay(f"{code}-R", "fail")  # no event: only the query tells
    await clock(stack).advance(timedelta(days=1, hours=9))
    await stack.until(started.journey_id, at("rereconcile", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(minutes=60))
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.REFUSED and "unpaid_stopped" in (record.reason or ""), record.reason
    assert step(record, "repaid") == StepStatus.SKIPPED and step(record, "rereconcile") == StepStatus.DONE
    assert portal(stack) == [2, 6, 6, 8]


async def test_a_pending_payment_is_reconciled_by_a_status_query(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0004"
    scripted(stack).dossier_statuses[code] = [9]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await clock(stack).advance(timedelta(days=1, hours=9))  # no confirmation came: the query says pending
    waiting = await stack.until(started.journey_id, at("reconcile", StepStatus.WAITING))
    await stack.pay(code)  # its confirmation lost; only the next query learns it
    await clock(stack).advance(timedelta(minutes=60))  # the next hourly query
    await stack.until(started.journey_id, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await delivered(stack, started.journey_id)

    assert step(waiting, "reconcile") == StepStatus.WAITING
    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert (await stack.mock("payment").effects())["payments_created"] == 1  # not initiated again
    assert step(record, "paid") == StepStatus.SKIPPED and step(record, "repay") == StepStatus.SKIPPED


async def test_a_returned_parcel_is_handed_over_at_the_counter(stack: CitizenStack) -> None:
    stack.vnpost_settings = stack.vnpost_settings.model_copy(update={"return_rate": 1.0})
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0005"
    scripted(stack).dossier_statuses[code] = [9]
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await delivered(stack, journey, hours=24 * 5)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert step(record, "counter") == StepStatus.DONE
    assert portal(stack) == [2, 6, 4, 9, 9, 10]


async def test_a_withdrawn_dossier_ends_early_and_its_fee_is_refunded(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0006"
    scripted(stack).dossier_statuses[code] = [4, 7]
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 1 and payments["receipts_cancelled"] == 1
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 0
    assert step(record, "issued") == StepStatus.CANCELLED
    assert portal(stack) == [2, 6, 4, 7]  # the withdrawal, once: no stop (8) after it


async def test_a_dossier_the_officers_refuse_is_stopped_at_the_portal_once(stack: CitizenStack) -> None:
    """`stopped` tells the portal 8 itself: the acceptance's compensation does not tell it again."""
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0017"
    scripted(stack).dossier_statuses[code] = [4, 8]
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED and "stopped" in (record.reason or ""), record.reason
    assert (await stack.mock("payment").effects())["refunds"] == 1
    assert step(record, "accepted") == StepStatus.DONE and step(record, "pay") == StepStatus.COMPENSATED
    assert portal(stack) == [2, 6, 4, 8]


async def test_a_dossier_a_system_rejects_once_accepted_is_stopped_at_the_portal_and_its_fee_refunded(
    stack: CitizenStack,
) -> None:
    """The one-stop system rejects the hand-over (422): the fee is refunded, then the portal, told
    "processing", hears the dossier stopped (8), once."""
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0018"
    scripted(stack).failures["ChuyenXuLyHoSo"] = [ProviderRejected("the procedure is not handled here")]
    record = await ended(stack, await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people)))

    assert record.status == JourneyStatus.REFUSED and "handover" in (record.reason or ""), record.reason
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 1 and payments["receipts_cancelled"] == 1
    assert step(record, "accepted") == StepStatus.COMPENSATED
    assert portal(stack) == [2, 6, 4, 8]


async def test_a_dossier_the_portal_never_heard_of_is_refused_at_its_first_push_and_told_nothing(
    stack: CitizenStack,
) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0019"
    unknown = ProviderRejected(f"no dossier {code!r} was sent by this portal")  # the portal's 404
    scripted(stack).failures["CapNhatTienDoHoSoMC"] = [unknown]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.REFUSED and "accepted" in (record.reason or ""), record.reason
    assert scripted(stack).asked["CapNhatTienDoHoSoMC"] == 1 and portal(stack) == []  # no 8 after it
    assert (await stack.mock("payment").effects())["payments_created"] == 0


async def vnpost_order_taken(stack: CitizenStack, number: str) -> None:
    """Another parcel posted at VNPost under `number` (the dossier code): the journey's own, with other
    content, is refused (Status 02, the bus's 422)."""
    control = stack.mock("vnpost").control
    token = await control.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(VNPOST_CLIENT, VNPOST_SECRET)
    )
    party = {
        "Province": "31",
        "District": "303",
        "Address": "1 Lạch Tray",
        "Name": "Người khác",
        "Tel": "0912345678",
    }
    order = {"CustomerCode": "HPG_STP", "OrderNumber": number, "CODAmount": 0, "Description": "Bưu phẩm khác"}
    order |= {f"{side}{name}": value for side in ("Sender", "Receiver") for name, value in party.items()}
    bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
    posted = await control.post("/api/v1/postOrder", json=order, headers=bearer)
    assert posted.status_code == 200 and posted.json()["Status"] == "00", posted.text


async def test_a_parcel_vnpost_rejects_after_the_result_is_issued_parks_the_dossier_and_refunds_nothing(
    stack: CitizenStack,
) -> None:
    """Once issued (9) the fee is earned: VNPost's refusal to post the result needs an operator, not a
    refund; the portal hears no stop (8 cannot follow 9)."""
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0022"
    scripted(stack).dossier_statuses[code] = [9]
    await vnpost_order_taken(stack, code)
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.PARKED and "parcel" in (record.reason or ""), record.reason
    assert "Rejected" in (record.reason or "")
    assert step(record, "issued") == StepStatus.DONE and step(record, "parcel") == StepStatus.FAILED
    assert step(record, "pay") == step(record, "accepted") == StepStatus.DONE  # nothing undone
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 0 and payments["receipts_cancelled"] == 0
    assert (await stack.mock("vnpost").effects())["orders_cancelled"] == 0
    assert portal(stack) == [2, 6, 4, 9]
    # The operator's view: the parked journeys, each with its reason.
    assert [r.journey_id for r in await journeys.list(status=JourneyStatus.PARKED)] == [journey]


async def test_an_operator_resumes_the_dossier_vnpost_refused_once_fixed_and_the_parcel_is_posted_once(
    stack: CitizenStack,
) -> None:
    """VNPost refuses the parcel (422) after the result is issued: parked; VNPost fixes its side, the
    operator resumes the journey, which posts the parcel (once), follows it and completes, no refund."""
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0024"
    scripted(stack).dossier_statuses[code] = [9]
    vnpost = stack.mock("vnpost").control
    refusing = await vnpost.patch("/_control/faults", json={"error_rate": 1.0, "error_status": 422})
    assert refusing.status_code == 200, refusing.text
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    parked = await ended(stack, journey)
    assert parked.status == JourneyStatus.PARKED and "parcel" in (parked.reason or ""), parked.reason
    assert "Rejected" in (parked.reason or "")
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 0

    assert (await vnpost.post("/_control/faults/reset")).status_code == 200  # VNPost fixed its side
    resumed = await journeys.resume(journey, by="admin:operator", reason="VNPost fixed its order intake")
    assert resumed.status == JourneyStatus.RUNNING
    record = await delivered(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 1
    parcel = next(s for s in record.steps if s.step == "parcel")
    assert [call.outcome for call in parcel.calls] == ["failed", "succeeded"]
    assert portal(stack) == [2, 6, 4, 9, 10]
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 0 and payments["receipts_cancelled"] == 0
    assert [(a.action, a.steps) for a in record.interventions] == [("resume", ["parcel"])]


async def test_an_operator_resumes_the_certificate_whose_returned_status_the_portal_rejected(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0025"
    journey = await paid(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await stack.advance_mock("lltp", 24 * 20)
    await clock(stack).advance(timedelta(hours=4))
    await stack.until(journey, at("delivered", StepStatus.WAITING))
    scripted(stack).failures["CapNhatTienDoHoSoMC"] = [ProviderRejected("the portal refuses the update")]
    parked = await delivered(stack, journey)
    assert parked.status == JourneyStatus.PARKED and portal(stack) == [2, 6, 4, 9]

    await journeys.resume(journey, by="admin:operator", reason="the portal accepts updates again")
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert portal(stack) == [2, 6, 4, 9, 10]
    assert (await stack.mock("vnpost").effects())["orders_posted"] == 1
    assert (await stack.mock("payment").effects())["refunds"] == 0


async def test_a_status_the_portal_rejects_after_the_certificate_is_issued_parks_it_and_refunds_nothing(
    stack: CitizenStack,
) -> None:
    """The portal rejects "returned" (10) after the certificate was issued and delivered: parked for an
    operator, the fee kept, the portal told no stop (8)."""
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0023"
    journey = await paid(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await stack.advance_mock("lltp", 24 * 20)
    await clock(stack).advance(timedelta(hours=4))
    await stack.until(journey, at("delivered", StepStatus.WAITING))
    scripted(stack).failures["CapNhatTienDoHoSoMC"] = [ProviderRejected("the portal refuses the update")]
    record = await delivered(stack, journey)

    assert record.status == JourneyStatus.PARKED and "returned" in (record.reason or ""), record.reason
    assert step(record, "returned") == StepStatus.FAILED and step(record, "pay") == StepStatus.DONE
    payments = await stack.mock("payment").effects()
    assert payments["refunds"] == 0 and payments["receipts_cancelled"] == 0
    assert (await stack.mock("vnpost").effects())["orders_cancelled"] == 0
    assert portal(stack) == [2, 6, 4, 9]


async def test_processing_past_its_deadline_is_counted_late(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0007"
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("review", StepStatus.WAITING))
    await clock(stack).advance(timedelta(days=8))  # Tuesday the 10th: five working days have passed
    late = await stack.until(journey, lambda r: verdict(r, "review") == Verdict.OPEN_LATE)
    scripted(stack).dossier_statuses[code] = [9]
    await clock(stack).advance(timedelta(hours=2))
    record = await delivered(stack, journey)

    assert late.status == JourneyStatus.RUNNING
    assert record.status == JourneyStatus.COMPLETED and record.late is True
    assert verdict(record, "review") == Verdict.LATE


async def test_the_population_database_timing_out_and_rate_limiting_upstream_only_delays_the_dossier(
    stack: CitizenStack,
) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0012"
    upstream: list[Exception] = [
        ProviderTimeout("CSDLDC did not answer in time"),
        ProviderUnavailable("429 from NDXP", retry_after=0.1),
    ]
    scripted(stack).failures["XacThucThongTinCongDan"] = upstream
    journey = await paid(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    record = await stack.until(journey, at("review", StepStatus.WAITING))

    assert step(record, "citizen") == StepStatus.DONE
    assert scripted(stack).asked["XacThucThongTinCongDan"] == 3  # the bus's own retries
    assert len(next(s for s in record.steps if s.step == "citizen").transaction_ids) == 1


async def test_a_person_who_lived_in_several_provinces_gets_fifteen_working_days(stack: CitizenStack) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0013"
    inputs = certificate_inputs(
        stack.people,
        residence_history=[
            {"from_month": "2004-08", "to_month": "2012-06", "place": "Cầu Giấy, Hà Nội"},
            {"from_month": "2012-07", "place": "Lạch Tray, Ngô Quyền, Hải Phòng"},
        ],
    ) | {"several_places": True}
    journey = await paid(stack, journeys, "lltp", code, inputs)
    record = await stack.until(journey, at("result_long", StepStatus.WAITING))

    long_leg = next(s for s in record.steps if s.step == "result_long")
    assert step(record, "result") == StepStatus.SKIPPED
    assert long_leg.due_at is not None and long_leg.due_at.date().isoformat() == "2026-03-23"
    case: dict[str, Any] = long_leg.result["case"]  # type: ignore[index,call-overload,assignment]
    allowed = datetime.fromisoformat(case["deadline"]) - datetime.fromisoformat(case["received_at"])
    assert allowed.days >= 20  # the records system counts 15 working days too (10 would be 14 days)


async def test_a_fifteen_day_certificate_finished_on_working_day_12_is_on_time(stack: CitizenStack) -> None:
    # The records mock refuses an appointment before its own (real) day: the bus's clock follows it there.
    days = WorkingCalendar()
    received = datetime.combine(days.working_days_after(vietnam_today(), 1), time(9), VIETNAM_TZ)
    await clock(stack).advance_to(received)
    appointment = days.add_working_days(received, 15).date()
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0014"
    inputs = certificate_inputs(stack.people, appointment_date=appointment.isoformat())
    inputs |= {"several_places": True, "received_at": received.isoformat()}
    journey = await paid(stack, journeys, "lltp", code, inputs)
    await stack.until(journey, at("result_long", StepStatus.WAITING))
    await stack.advance_mock("lltp", 24 * 30)
    await clock(stack).advance_to(days.add_working_days(received, 12))  # polled: issued, parcel posted
    record = await delivered(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert record.due_at is not None and record.due_at.date() == appointment
    assert record.finished_at is not None
    finished = record.finished_at.astimezone(VIETNAM_TZ).date()
    assert days.add_working_days(received, 10).date() < finished < appointment  # late by 10 days, not 15
    assert record.verdict == Verdict.EARLY and record.late is False


def verdict(record: JourneyRecord, name: str) -> Verdict | None:
    return next(s for s in record.steps if s.step == name).verdict


async def test_certificate_no_2_by_proxy_is_rejected_by_the_records_system_and_the_fee_refunded(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0009"
    proxy = {"full_name": "Trần Văn Bình", "id_number": stack.people.adult.id_number, "relationship": "Chồng"}
    inputs = certificate_inputs(stack.people, certificate_type=2, proxy=proxy)
    journey = await paid(stack, journeys, "lltp", code, inputs)
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    assert "Server.Provider.Rejected" in (record.reason or "") and "request" in (record.reason or "")
    assert (await stack.mock("lltp").effects())["dang_ky"] == 0
    assert (await stack.mock("payment").effects())["refunds"] == 1


def revocation(dossier_number: str) -> dict[str, Any]:
    return {
        "dossier_number": dossier_number,
        "decision_number": "12/QĐ-STP",
        "decision_date": "2026-03-20",
        "reason": "Phát hiện bản án chưa được cập nhật",
        "signer": "Giám đốc Sở Tư pháp",
    }


async def test_an_issued_certificate_is_revoked_later_and_a_certificate_never_issued_cannot_be(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    stack.load("lltp_revocation")
    journeys = await stack.start()
    code = "H31.29-20260302-0010"
    journey = await paid(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await stack.advance_mock("lltp", 24 * 20)
    await clock(stack).advance(timedelta(hours=4))
    await stack.until(journey, at("issued", StepStatus.DONE))

    revoked = await journeys.start("lltp-revocation", revocation(code), "QD-12-STP")
    unknown = await journeys.start("lltp-revocation", revocation("H31.29-NEVER-FILED"), "QD-13-STP")
    done, refused = await ended(stack, revoked.journey_id), await ended(stack, unknown.journey_id)

    assert done.status == JourneyStatus.COMPLETED, done.reason
    result = done.steps[0].result
    assert isinstance(result, dict) and result["status"] == "revoked"
    assert (await stack.mock("lltp").effects())["thu_hoi"] == 1
    assert refused.status == JourneyStatus.REFUSED and "Rejected" in (refused.reason or "")


async def test_the_one_stop_system_has_no_right_to_revoke_a_certificate(stack: CitizenStack) -> None:
    stack.load("lltp_revocation")
    journeys = await stack.start()
    started = await journeys.start(
        "lltp-revocation", revocation("H31.29-20260302-0011"), "QD-14-STP", client="VN/GOV/HPG/MOTCUA"
    )
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.PARKED and "Client.AccessDenied" in (record.reason or "")
    assert (await stack.mock("lltp").effects())["thu_hoi"] == 0
