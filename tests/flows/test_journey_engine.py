"""The journey engine's behaviour, written once and run on memory and on RabbitMQ + Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bus.event_recorder import EventRecorder
from bus.flows import CompressedClock, ManualClock, WorkingDayPace
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.journeys import DossierCodeInUse, InvalidStart, UnknownKind
from tests.flows.journey_stack import CLIENT, START, JourneyStack

DONE = JourneyStatus.COMPLETED


def ended(record: JourneyRecord) -> bool:
    return record.status in (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


def manual(stack: JourneyStack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


def call(stack: JourneyStack, system: str, payload: object, path: str = "act") -> dict[str, object]:
    return {"service": stack.service(system), "path": path, "payload": payload}


async def test_linear_journey_completes_passing_results_on_and_skipping_an_unchosen_leg(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "birth",
            "required_inputs": ["/inputs/child"],
            "steps": [
                {
                    "kind": "call",
                    "id": "register",
                    "system": "civil registry",
                    "call": call(stack, "Registry", {"step": "register", "child": "${/inputs/child}"}),
                },
                {
                    "kind": "call",
                    "id": "insurance",
                    "when": [{"at": "/inputs/legs", "contains": "insurance"}],
                    "call": call(stack, "Insurance", {"step": "insurance"}),
                },
                {
                    "kind": "call",
                    "id": "residence",
                    "call": call(
                        stack,
                        "Residence",
                        {
                            "step": "residence",
                            "birth": "${/steps/register/result/reference}",
                            "note": "born ${/inputs/child/name}",
                        },
                    ),
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("birth", {"child": {"name": "An"}, "legs": ["residence"]}, "HS-0001")
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    steps = {step.step: step for step in record.steps}
    assert [steps[name].status for name in ("register", "insurance", "residence")] == [
        StepStatus.DONE,
        StepStatus.SKIPPED,
        StepStatus.DONE,
    ]
    assert steps["residence"].result["echo"] == {  # type: ignore[index,call-overload]
        "step": "residence",
        "birth": steps["register"].result["reference"],  # type: ignore[index,call-overload]
        "note": "born An",
    }
    assert stack.systems.order == ["register", "residence"]
    # each step is an ordinary bus transaction, recorded with the dossier code as its issue
    logged = {r.transaction_id: r for r in stack.sink.records}
    for name in ("register", "residence"):
        (transaction_id,) = steps[name].transaction_ids
        assert logged[transaction_id].issue == "HS-0001"
        assert logged[transaction_id].client == CLIENT
        assert logged[transaction_id].succeeded
    assert steps["register"].system == "civil registry"
    assert steps["register"].service == stack.service("Registry")


async def test_parallel_branches_run_at_once_and_the_join_waits_for_both(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "fan",
            "steps": [
                {"kind": "call", "id": "birth", "call": call(stack, "Registry", {"step": "birth"})},
                {
                    "kind": "call",
                    "id": "residence",
                    "after": ["birth"],
                    "call": call(stack, "Residence", {"step": "residence", "work_seconds": 0.3}),
                },
                {
                    "kind": "call",
                    "id": "insurance",
                    "after": ["birth"],
                    "call": call(stack, "Insurance", {"step": "insurance", "work_seconds": 0.3}),
                },
                {
                    "kind": "call",
                    "id": "notify",
                    "after": ["residence", "insurance"],
                    "call": call(stack, "Payment", {"step": "notify"}),
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("fan", {}, "HS-FAN")
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert stack.systems.most_at_once == 2
    assert stack.systems.order[0] == "birth"
    assert sorted(stack.systems.order[1:3]) == ["insurance", "residence"]
    assert stack.systems.order[3] == "notify"


async def test_a_wait_for_an_event_resumes_the_journey_with_the_event(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "fee",
            "steps": [
                {"kind": "call", "id": "invoice", "call": call(stack, "Payment", {"step": "invoice"})},
                {
                    "kind": "wait",
                    "id": "paid",
                    "event": stack.event_type("paid"),
                    "match": {"at": "/reference", "equals": "${/steps/invoice/result/reference}"},
                },
                {
                    "kind": "call",
                    "id": "deliver",
                    "call": call(
                        stack, "Registry", {"step": "deliver", "receipt": "${/steps/paid/result/receipt}"}
                    ),
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("fee", {}, "HS-FEE")
    waiting = await stack.until(started.journey_id, lambda r: r.steps[1].status == StepStatus.WAITING)
    reference = waiting.steps[0].result["reference"]  # type: ignore[index,call-overload]

    await stack.publish("paid", {"reference": "someone-else", "receipt": "R-0"})
    await stack.publish("paid", {"reference": reference, "receipt": "R-1"})
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert record.steps[1].result == {"reference": reference, "receipt": "R-1"}
    assert record.steps[2].result["echo"]["receipt"] == "R-1"  # type: ignore[index,call-overload]


async def test_a_wait_for_one_of_several_events_branches_on_the_one_that_came(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    paid, failed = stack.event_type("paid"), stack.event_type("failed")
    stack.define(
        {
            "kind": "fee",
            "steps": [
                {"kind": "wait", "id": "outcome", "event": [paid, failed],
                 "match": {"at": "/reference", "equals": "${/inputs/reference}"}},
                {"kind": "call", "id": "again", "when": [{"at": "/steps/outcome/event", "not_equals": paid}],
                 "call": call(stack, "Payment", {"step": "again"})},
                {"kind": "wait", "id": "second", "after": ["again"], "event": [paid, failed],
                 "refuse_on": [failed], "when": [{"at": "/steps/again/status", "exists": True}],
                 "match": {"at": "/reference", "equals": "${/inputs/reference}-R"}},
                {"kind": "call", "id": "deliver", "after": ["second"],
                 "call": call(stack, "Registry", {"step": "deliver"})},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    confirmed = await journeys.start("fee", {"reference": "PAY-OK"}, "HS-OK")
    refused = await journeys.start("fee", {"reference": "PAY-KO"}, "HS-KO")
    retried = await journeys.start("fee", {"reference": "PAY-RE"}, "HS-RE")
    for started in (confirmed, refused, retried):
        await stack.until(started.journey_id, lambda r: r.steps[0].status == StepStatus.WAITING)

    await stack.publish("paid", {"reference": "PAY-OK"})
    await stack.publish("failed", {"reference": "PAY-KO", "reason": "card declined"})
    await stack.publish("failed", {"reference": "PAY-RE"})
    await stack.until(refused.journey_id, lambda r: r.steps[2].status == StepStatus.WAITING)
    await stack.publish("failed", {"reference": "PAY-KO-R"})
    await stack.until(retried.journey_id, lambda r: r.steps[2].status == StepStatus.WAITING)
    await stack.publish("paid", {"reference": "PAY-RE-R"})
    ok, ko, re = [await stack.until(s.journey_id, ended) for s in (confirmed, refused, retried)]

    assert ok.status == DONE and [s.status for s in ok.steps[1:3]] == [StepStatus.SKIPPED] * 2
    assert ko.status == JourneyStatus.REFUSED and ko.steps[0].result == {
        "reference": "PAY-KO",
        "reason": "card declined",
    }
    assert ko.steps[2].status == StepStatus.REFUSED and f"{failed} came" in (ko.reason or "")
    assert [ok.steps[0].event, ko.steps[0].event, re.steps[0].event, re.steps[2].event] == [
        paid,
        failed,
        failed,
        paid,
    ]
    assert re.status == DONE and [s.status for s in re.steps] == [StepStatus.DONE] * 4
    assert stack.systems.effects[f"{refused.journey_id}.deliver"] == 0
    assert stack.systems.effects[f"{retried.journey_id}.again"] == 1


async def test_events_read_by_an_event_recorder_reach_the_waits_through_its_listener(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "recorded",
            "steps": [
                {"kind": "wait", "id": "paid", "event": stack.event_type("paid"),
                 "match": {"at": "/reference", "equals": "${/inputs/reference}"}},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start(engines=0)
    engine = await stack.add_engine(consume_events=False)
    recorder = EventRecorder(engine.transport, [stack.event_type("paid")], listeners=[engine.events.deliver])
    await recorder.start()
    try:
        started = await journeys.start("recorded", {"reference": "PAY-1"}, "HS-REC")
        await stack.until(started.journey_id, lambda r: r.steps[0].status == StepStatus.WAITING)
        await stack.publish("paid", {"reference": "PAY-1"})
        record = await stack.until(started.journey_id, ended)
    finally:
        await recorder.stop()
    assert record.status == DONE
    assert [event.data for event in recorder.recent] == [{"reference": "PAY-1"}]


async def test_an_event_that_came_before_its_wait_is_found_when_the_wait_begins(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "early",
            "steps": [
                {
                    "kind": "wait",
                    "id": "paid",
                    "event": stack.event_type("paid"),
                    "match": {"at": "/reference", "equals": "${/inputs/reference}"},
                },
            ],
        }
    )
    journeys = await stack.start()
    await stack.publish("paid", {"reference": "PAY-9"})
    await stack.publish("paid", {"reference": "PAY-9", "receipt": "a second copy is ignored"})
    started = await journeys.start("early", {"reference": "PAY-9"}, "HS-EARLY")
    record = await stack.until(started.journey_id, ended)
    assert record.status == DONE
    assert record.steps[0].result == {"reference": "PAY-9"}


async def test_a_poll_repeats_on_the_simulated_clock_until_the_status_is_reached(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "certificate",
            "steps": [
                {"kind": "call", "id": "request", "call": call(stack, "Registry", {"step": "request"})},
                {
                    "kind": "poll",
                    "id": "result",
                    "interval_minutes": 60,
                    "call": call(
                        stack, "Registry", {"reference": "${/steps/request/result/reference}"}, "status"
                    ),
                    "until": {"at": "/status", "one_of": ["issued", "refused"]},
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("certificate", {}, "HS-LLTP")
    key_of_request = f"{started.journey_id}.request"
    stack.systems.statuses[f"ref-{key_of_request}"] = ["verifying", "verifying", "issued"]

    for polls in (1, 2):

        def polled(record: JourneyRecord, n: int = polls) -> bool:
            return record.steps[1].status == StepStatus.WAITING and len(record.steps[1].calls) == n

        await stack.until(started.journey_id, polled)
        await manual(stack).advance(timedelta(minutes=59))
        assert len((await journeys.get(started.journey_id)).steps[1].calls) == polls  # not before its time
        await manual(stack).advance(timedelta(minutes=1))
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert record.steps[1].result == {"status": "issued", "issue": "HS-LLTP"}
    assert len(record.steps[1].transaction_ids) == 3
    assert record.steps[1].finished_at == record.steps[1].started_at + timedelta(hours=2)  # type: ignore[operator]


async def test_a_repeated_start_with_the_same_dossier_code_returns_the_same_journey(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {"kind": "once", "steps": [{"kind": "call", "id": "only", "call": call(stack, "Registry", {})}]}
    )
    stack.define(
        {"kind": "other", "steps": [{"kind": "call", "id": "only", "call": call(stack, "Registry", {})}]}
    )
    journeys = await stack.start()
    first = await journeys.start("once", {"n": 1}, "HS-SAME")
    again = await journeys.start("once", {"n": 1}, "HS-SAME")
    assert again.journey_id == first.journey_id
    with pytest.raises(DossierCodeInUse, match="other inputs"):
        await journeys.start("once", {"n": 2}, "HS-SAME")
    await stack.until(first.journey_id, ended)
    after_end = await journeys.start("once", {"n": 1}, "HS-SAME")
    assert after_end.journey_id == first.journey_id
    with pytest.raises(DossierCodeInUse, match="kind"):
        await journeys.start("other", {"n": 1}, "HS-SAME")

    assert stack.systems.effects[f"{first.journey_id}.only"] == 1
    assert [r.journey_id for r in await journeys.list()] == [first.journey_id]
    assert (await journeys.find("HS-SAME")) is not None


async def test_bad_starts_are_refused_and_change_nothing(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "needs",
            "required_inputs": ["/inputs/citizen"],
            "steps": [{"kind": "call", "id": "only", "call": call(stack, "Registry", {})}],
        }
    )
    journeys = await stack.start()
    with pytest.raises(UnknownKind):
        await journeys.start("nope", {}, "HS-1")
    with pytest.raises(InvalidStart, match="citizen"):
        await journeys.start("needs", {}, "HS-2")
    with pytest.raises(InvalidStart):
        await journeys.start("needs", {"citizen": "x"}, "  ")
    with pytest.raises(InvalidStart, match="JSON"):
        await journeys.start("needs", {"citizen": {1, 2}}, "HS-3")  # type: ignore[dict-item]
    assert await journeys.list() == []
    assert await journeys.find("HS-2") is None
    assert await journeys.find("HS-3") is None


async def test_two_engines_share_the_journeys_and_each_step_takes_effect_once(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "busy",
            "steps": [
                {"kind": "call", "id": "one", "call": call(stack, "Registry", {"step": "one"})},
                {"kind": "call", "id": "two", "call": call(stack, "Residence", {"step": "two"})},
            ],
        }
    )
    journeys = await stack.start(engines=2)
    started = [await journeys.start("busy", {}, f"HS-B{n}") for n in range(12)]
    for journey in started:
        record = await stack.until(journey.journey_id, ended)
        assert record.status == DONE, record.reason
    assert len(stack.systems.effects) == 24
    assert set(stack.systems.effects.values()) == {1}
    assert len(await journeys.list(kind="busy", status=JourneyStatus.COMPLETED, limit=50)) == 12


async def test_timers_on_a_compressed_clock_are_broker_delayed_messages(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    # a working day in 0.5 s of wall time, each night or weekend in 0.05 s
    stack.clock = CompressedClock(WorkingDayPace(stack.calendar, 0.5, 0.05), sim_epoch=START)
    stack.define(
        {
            "kind": "compressed",
            "steps": [
                {
                    "kind": "wait",
                    "id": "supplement",
                    "event": stack.event_type("supplemented"),
                    "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"},
                    "timeout_days": 1,
                    "on_timeout": "continue",
                },
                {"kind": "call", "id": "request", "call": call(stack, "Registry", {"step": "request"})},
                {
                    "kind": "poll",
                    "id": "result",
                    "interval_minutes": 120,
                    "call": call(
                        stack, "Registry", {"reference": "${/steps/request/result/reference}"}, "status"
                    ),
                    "until": {"at": "/status", "equals": "issued"},
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("compressed", {}, "HS-FAST")
    stack.systems.statuses[f"ref-{started.journey_id}.request"] = ["verifying", "issued"]
    record = await stack.until(started.journey_id, ended, timeout=15)

    assert record.status == DONE, record.reason
    supplement, _, result = record.steps
    assert supplement.status == StepStatus.SKIPPED and "within 1 working days" in (supplement.reason or "")
    assert supplement.finished_at is not None and supplement.finished_at >= stack.calendar.add_working_days(
        START, 1
    )
    assert len(result.calls) == 2
    assert result.finished_at is not None and result.started_at is not None
    assert result.finished_at - result.started_at >= timedelta(minutes=120)
