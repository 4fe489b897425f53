"""The province's judicial-record certificate (lgsp/journeys/lltp.yaml) and ordinary dossier
(lgsp/journeys/dossier.yaml) journeys end to end, with their failure branches: the LLTP mock in-process
behind its real adapter, the other systems scripted; a manual clock. On memory and on RabbitMQ + Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bus.events import event_queue
from bus.flows import ManualClock
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.journeys import Journeys
from bus.flows.timeliness import Verdict
from bus.store import MemoryStore, RedisStore, Store
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport
from tests.flows.citizen_stack import CitizenStack, NationalSystems, certificate_inputs, dossier_inputs
from tests.flows.journey_stack import unique_names
from tests.store.conftest import bounded, delete_prefixed
from tests.transport.conftest import delete_queues

ENDED = (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


@pytest.fixture(
    params=["memory", pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
)
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[CitizenStack]:
    """A citizen-journey stack on one backend; what it made is stopped and removed afterwards."""
    subsystem, queue, prefix = unique_names()
    made: list[Transport] = []
    broker = MemoryBroker()
    store: Store
    if request.param == "memory":
        amqp_url, store = "", MemoryStore()
    else:
        amqp_url = request.getfixturevalue("amqp_url")
        store = RedisStore(bounded(request.getfixturevalue("redis_url")), prefix=f"lgsp-test:{prefix}:")
        await store.connect()

    async def make_transport() -> Transport:
        transport: Transport
        if request.param == "memory":
            transport = MemoryTransport(broker)
        else:
            transport = AmqpTransport(amqp_url, connection_name=f"lgsp-test-{prefix}", reconnect_interval=0.5)
        await asyncio.wait_for(transport.connect(), 10)
        made.append(transport)
        return transport

    settings = JourneySettings(
        queue=queue, store_prefix="flows:", lease_seconds=1.5, busy_retry_seconds=0.1,
        timer_recheck_seconds=0.05, recheck_seconds=0.2, deferral_seconds=0.1,
    )  # fmt: skip
    built = CitizenStack(request.param, make_transport, store, subsystem, settings, prefix)
    try:
        yield built
    finally:
        for engine in built.engines:
            await engine.stop(drain_seconds=0.5)
        if built.worker is not None:
            await built.worker.stop()
        await built.close_systems()
        for transport in made:
            await asyncio.wait_for(transport.close(), 10)
        if request.param != "memory":
            queues = [
                queue,
                *(s.id.queue_name for s in built.catalog.services),
                event_queue(built.event_type("paid")),
            ]
            await asyncio.wait_for(delete_queues(amqp_url, queues), 30)
            await store.close()
            await delete_prefixed(request.getfixturevalue("redis_url"), f"lgsp-test:{prefix}:")


def clock(stack: CitizenStack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


def systems(stack: CitizenStack) -> NationalSystems:
    assert stack.national is not None
    return stack.national


def at(step: str, *statuses: StepStatus) -> object:
    def check(record: JourneyRecord) -> bool:
        return record.status in ENDED or next(s for s in record.steps if s.step == step).status in statuses

    return check


def step(record: JourneyRecord, name: str) -> StepStatus:
    return next(s for s in record.steps if s.step == name).status


async def ended(stack: CitizenStack, journey_id: str) -> JourneyRecord:
    return await stack.until(journey_id, lambda record: record.status in ENDED, timeout=20)


async def paid_by_event(stack: CitizenStack, journeys: Journeys, kind: str, code: str, inputs: dict) -> str:
    """Start a journey and confirm its fee with a payment.confirmed event; its id."""
    started = await journeys.start(kind, inputs, code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING, StepStatus.DONE))
    await stack.publish("paid", {"reference": code, "amount_vnd": 200000, "status": "success"})
    return started.journey_id


async def test_a_certificate_is_paid_requested_polled_until_issued_and_delivered_by_post(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0001"
    journey = await paid_by_event(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))  # polled once: still searching
    await stack.advance_lltp(24 * 20)
    systems(stack).tracking[code] = ["in_transit", "delivered"]
    await clock(stack).advance(timedelta(hours=4))  # the next poll: issued, then the parcel posted
    await stack.until(journey, at("delivered", StepStatus.WAITING))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert [status for _, status in systems(stack).portal] == [2, 6, 4, 9, 10]
    assert systems(stack).initiated == {code: 1} and systems(stack).refunds == []
    assert systems(stack).posted == [code]
    assert (await stack.lltp_effects())["dang_ky"] == 1
    for skipped in ("reconcile", "repay", "repaid", "rereconcile", "result_long", "counter"):
        assert step(record, skipped) == StepStatus.SKIPPED
    assert record.steps[0].transaction_ids  # every call an ordinary bus transaction


async def test_a_refused_certificate_refunds_the_fee_and_posts_nothing(stack: CitizenStack) -> None:
    stack.lltp_settings = stack.lltp_settings.model_copy(update={"refusal_rate": 1.0})
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0002"
    journey = await paid_by_event(stack, journeys, "lltp", code, certificate_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await stack.advance_lltp(24 * 20)
    await clock(stack).advance(timedelta(hours=4))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    assert "result" in (record.reason or "")
    assert systems(stack).refunds == [
        {"reference": code, "reason": "Từ chối cấp Phiếu lý lịch tư pháp", "cancel_e_receipt": True}
    ]
    assert step(record, "pay") == StepStatus.COMPENSATED
    assert systems(stack).posted == [] and step(record, "parcel") == StepStatus.CANCELLED
    assert [status for _, status in systems(stack).portal] == [2, 6, 4]


async def test_a_failed_payment_is_initiated_again_and_the_second_is_confirmed(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0003"
    systems(stack).payment_statuses[code] = ["failed"]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await clock(stack).advance(timedelta(days=1, hours=9))  # Tuesday 18:00: no confirmation in a working day
    await stack.until(started.journey_id, at("repaid", StepStatus.WAITING))
    await stack.publish("paid", {"reference": f"{code}-R", "status": "success"})
    await stack.until(started.journey_id, at("result", StepStatus.WAITING))
    systems(stack).dossier_statuses[code] = [9]
    systems(stack).tracking[code] = ["delivered"]
    await clock(stack).advance(timedelta(hours=2))
    await stack.until(started.journey_id, at("delivered", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert systems(stack).initiated == {code: 1, f"{code}-R": 1}
    assert step(record, "reconcile") == StepStatus.DONE and step(record, "rereconcile") == StepStatus.SKIPPED
    assert [status for _, status in systems(stack).portal] == [2, 6, 4, 9, 10]


async def test_a_pending_payment_is_reconciled_by_a_status_query(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0004"
    systems(stack).payment_statuses[code] = ["pending", "success"]
    systems(stack).dossier_statuses[code] = [9]
    systems(stack).tracking[code] = ["delivered"]
    started = await journeys.start("dossier", dossier_inputs(stack.people), code)
    await stack.until(started.journey_id, at("paid", StepStatus.WAITING))
    await clock(stack).advance(timedelta(days=1, hours=9))  # the wait ends: the first query says pending
    await stack.until(started.journey_id, at("reconcile", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(minutes=30))  # the second query: success
    await stack.until(started.journey_id, at("delivered", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert systems(stack).initiated == {code: 1}  # not initiated again
    assert step(record, "paid") == StepStatus.SKIPPED and step(record, "repay") == StepStatus.SKIPPED


async def test_a_returned_parcel_is_handed_over_at_the_counter(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0005"
    systems(stack).dossier_statuses[code] = [9]
    systems(stack).tracking[code] = ["failed_attempt", "returned"]
    journey = await paid_by_event(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("delivered", StepStatus.WAITING))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert step(record, "counter") == StepStatus.DONE
    assert [status for _, status in systems(stack).portal] == [2, 6, 4, 9, 9, 10]


async def test_a_withdrawn_dossier_ends_early_and_its_fee_is_refunded(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0006"
    systems(stack).dossier_statuses[code] = [4, 7]
    journey = await paid_by_event(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    assert [r["reference"] for r in systems(stack).refunds] == [code]
    assert systems(stack).posted == [] and step(record, "issued") == StepStatus.CANCELLED


async def test_processing_past_its_deadline_is_counted_late(stack: CitizenStack) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0007"
    systems(stack).tracking[code] = ["delivered"]
    journey = await paid_by_event(stack, journeys, "dossier", code, dossier_inputs(stack.people))
    await stack.until(journey, at("result", StepStatus.WAITING))
    await clock(stack).advance(timedelta(days=8))  # Tuesday the 10th: five working days have passed
    late = await stack.until(journey, lambda r: r.steps[[s.step for s in r.steps].index("result")].verdict
                             == Verdict.OPEN_LATE)  # fmt: skip
    systems(stack).dossier_statuses[code] = [9]
    await clock(stack).advance(timedelta(hours=2))
    await stack.until(journey, at("delivered", StepStatus.WAITING, StepStatus.DONE))
    await clock(stack).advance(timedelta(hours=2))
    record = await ended(stack, journey)

    assert late.status == JourneyStatus.RUNNING
    assert record.status == JourneyStatus.COMPLETED and record.late is True
    assert next(s for s in record.steps if s.step == "result").verdict == Verdict.LATE


async def test_a_citizen_the_population_database_does_not_know_is_refused_before_any_fee(
    stack: CitizenStack,
) -> None:
    stack.load("dossier")
    journeys = await stack.start()
    code = "H31.29-20260302-0008"
    inputs = dossier_inputs(stack.people, citizen=("Người Không Có", "031099999999"))
    started = await journeys.start("dossier", inputs, code)
    record = await ended(stack, started.journey_id)

    assert record.status == JourneyStatus.REFUSED and "citizen" in (record.reason or "")
    assert systems(stack).initiated == {} and systems(stack).posted == []
    assert [status for _, status in systems(stack).portal] == [2]  # accepted, then nothing more


async def test_certificate_no_2_by_proxy_is_rejected_by_the_records_system_and_the_fee_refunded(
    stack: CitizenStack,
) -> None:
    stack.load("lltp")
    journeys = await stack.start()
    code = "H31.29-20260302-0009"
    proxy = {"full_name": "Trần Văn Bình", "id_number": stack.people.adult.id_number, "relationship": "Chồng"}
    inputs = certificate_inputs(stack.people, certificate_type=2, proxy=proxy)
    journey = await paid_by_event(stack, journeys, "lltp", code, inputs)
    record = await ended(stack, journey)

    assert record.status == JourneyStatus.REFUSED
    assert "PHIEU_SO_2_KHONG_DUOC_UY_QUYEN" in (record.reason or "") or "Rejected" in (record.reason or "")
    assert (await stack.lltp_effects())["dang_ky"] == 0
    assert [r["reference"] for r in systems(stack).refunds] == [code]
