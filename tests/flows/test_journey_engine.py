"""The journey engine's behaviour, written once and run on memory and on RabbitMQ + Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.journeys import DossierCodeInUse, InvalidStart, UnknownKind
from bus.flows.timeliness import Verdict
from tests.flows.journey_stack import CLIENT, JourneyStack

DONE = JourneyStatus.COMPLETED


def ended(record: object) -> bool:
    return getattr(record, "status") in (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


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
                {"kind": "call", "id": "register", "system": "civil registry",
                 "call": call(stack, "Registry", {"step": "register", "child": "${/inputs/child}"})},
                {"kind": "call", "id": "insurance", "when": [{"at": "/inputs/legs", "contains": "insurance"}],
                 "call": call(stack, "Insurance", {"step": "insurance"})},
                {"kind": "call", "id": "residence",
                 "call": call(stack, "Residence", {"step": "residence",
                                                   "birth": "${/steps/register/result/reference}",
                                                   "note": "born ${/inputs/child/name}"})},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("birth", {"child": {"name": "An"}, "legs": ["residence"]}, "HS-0001")
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    steps = {step.step: step for step in record.steps}
    assert [steps[name].status for name in ("register", "insurance", "residence")] == [
        StepStatus.DONE, StepStatus.SKIPPED, StepStatus.DONE,
    ]  # fmt: skip
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
                {"kind": "call", "id": "residence", "after": ["birth"],
                 "call": call(stack, "Residence", {"step": "residence", "work_seconds": 0.3})},
                {"kind": "call", "id": "insurance", "after": ["birth"],
                 "call": call(stack, "Insurance", {"step": "insurance", "work_seconds": 0.3})},
                {"kind": "call", "id": "notify", "after": ["residence", "insurance"],
                 "call": call(stack, "Payment", {"step": "notify"})},
            ],
        }
    )  # fmt: skip
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
                {"kind": "wait", "id": "paid", "event": stack.event_type("paid"),
                 "match": {"at": "/reference", "equals": "${/steps/invoice/result/reference}"}},
                {"kind": "call", "id": "deliver",
                 "call": call(stack, "Registry", {"step": "deliver", "receipt": "${/steps/paid/result/receipt}"})},
            ],
        }
    )  # fmt: skip
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


async def test_an_event_that_came_before_its_wait_is_found_when_the_wait_begins(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "early",
            "steps": [
                {"kind": "wait", "id": "paid", "event": stack.event_type("paid"),
                 "match": {"at": "/reference", "equals": "${/inputs/reference}"}},
            ],
        }
    )  # fmt: skip
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
                {"kind": "poll", "id": "result", "interval_minutes": 60,
                 "call": call(stack, "Registry", {"reference": "${/steps/request/result/reference}"}, "status"),
                 "until": {"at": "/status", "one_of": ["issued", "refused"]}},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    key_of_request = None
    started = await journeys.start("certificate", {}, "HS-LLTP")
    key_of_request = f"{started.journey_id}.request"
    stack.systems.statuses[f"ref-{key_of_request}"] = ["verifying", "verifying", "issued"]

    for polls in (1, 2):
        await stack.until(
            started.journey_id,
            lambda r, n=polls: r.steps[1].status == StepStatus.WAITING and len(r.steps[1].calls) == n,
        )
        await stack.clock.advance(timedelta(minutes=59))
        assert len((await journeys.get(started.journey_id)).steps[1].calls) == polls  # not before its time
        await stack.clock.advance(timedelta(minutes=1))
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert record.steps[1].result == {"status": "issued", "issue": "HS-LLTP"}
    assert len(record.steps[1].transaction_ids) == 3
    assert record.steps[1].finished_at == record.steps[1].started_at + timedelta(hours=2)  # type: ignore[operator]


async def test_a_refusal_runs_the_compensations_in_reverse_order_and_stops_what_follows(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack

    def undoable(name: str, system: str) -> dict[str, object]:
        return {"kind": "call", "id": name, "call": call(stack, system, {"step": name}),
                "compensation": call(stack, system, {"step": name, "ref": f"${{/steps/{name}/result/reference}}"},
                                     "undo")}  # fmt: skip

    stack.define(
        {
            "kind": "refused",
            "steps": [
                undoable("fee", "Payment"),
                undoable("receipt", "Payment"),
                {"kind": "call", "id": "decide", "call": call(stack, "Registry", {"step": "decide", "answer": "6"}),
                 "refuse_if": {"at": "/status", "equals": "6"}},
                undoable("parcel", "Residence"),
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("refused", {}, "HS-REF")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED
    assert "decide" in (record.reason or "")
    assert stack.systems.undone == ["receipt", "fee"]
    assert [step.status for step in record.steps] == [
        StepStatus.COMPENSATED, StepStatus.COMPENSATED, StepStatus.REFUSED, StepStatus.CANCELLED,
    ]  # fmt: skip
    assert stack.systems.effects[f"{started.journey_id}.parcel"] == 0
    assert len(record.steps[0].transaction_ids) == 2  # the call and its compensation
    assert record.steps[0].calls[1].purpose == "compensate"


async def test_a_provider_rejection_refuses_and_a_missing_right_parks(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "rejected",
            "steps": [{"kind": "call", "id": "check", "call": call(stack, "Insurance", {}, "reject")}],
        }
    )
    stack.define(
        {
            "kind": "forbidden",
            "steps": [{"kind": "call", "id": "peek", "call": call(stack, "Secret", {"step": "x"})}],
        }
    )
    journeys = await stack.start()
    rejected = await stack.until((await journeys.start("rejected", {}, "HS-422")).journey_id, ended)
    forbidden = await stack.until((await journeys.start("forbidden", {}, "HS-403")).journey_id, ended)

    assert rejected.status == JourneyStatus.REFUSED
    assert "Server.Provider.Rejected" in (rejected.reason or "")
    assert forbidden.status == JourneyStatus.PARKED
    assert "Client.AccessDenied" in (forbidden.reason or "")
    assert stack.systems.effects == {}


async def test_a_step_takes_effect_once_when_its_engine_dies_mid_call_and_another_resumes(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "crash",
            "steps": [
                {"kind": "call", "id": "register", "call": call(stack, "Registry", {"step": "register", "block": True})},
                {"kind": "call", "id": "residence", "call": call(stack, "Residence", {"step": "residence"})},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start(engines=1)
    doomed = stack.engines[0]
    started = await journeys.start("crash", {}, "HS-CRASH")
    await stack.systems.entered.wait()  # the provider is acting on the step's call

    await doomed.transport.close()  # the engine dies: its tick goes back to the queue, its lease stays
    stack.systems.gate.set()  # the provider finishes the work the dead engine asked for
    await stack.add_engine()
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert stack.systems.effects[f"{started.journey_id}.register"] == 1
    assert stack.systems.order == ["register", "residence"]
    register = record.steps[0]
    assert len(register.calls) == 1  # sent again with the same ids, answered from the worker's record
    assert register.calls[0].outcome == "succeeded"
    assert stack.worker is not None and stack.worker.stats["answered_from_record"] == 1


async def test_a_missed_deadline_marks_the_step_late(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "slow",
            "deadline_days": 5,
            "steps": [
                {"kind": "wait", "id": "supplement", "deadline_days": 2, "event": stack.event_type("supplemented"),
                 "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"}},
                {"kind": "call", "id": "finish", "call": call(stack, "Registry", {"step": "finish"})},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("slow", {}, "HS-LATE")
    assert started.steps[0].due_at is None  # not started until the engine takes it
    waiting = await stack.until(started.journey_id, lambda r: r.steps[0].status == StepStatus.WAITING)
    assert waiting.steps[0].due_at is not None
    assert waiting.steps[0].due_at.isoformat() == "2026-03-04T17:00:00+07:00"  # Monday 09:00 + 2 working days
    assert waiting.steps[0].verdict == Verdict.OPEN
    assert await journeys.list(late=True) == []

    await stack.clock.advance(timedelta(days=3))  # Thursday 09:00: the deadline passed on Wednesday
    overdue = await stack.until(started.journey_id, lambda r: r.steps[0].overdue_at is not None)
    assert overdue.steps[0].verdict == Verdict.OPEN_LATE
    assert [r.journey_id for r in await journeys.list(late=True)] == [started.journey_id]

    await stack.publish("supplemented", {"dossier": "HS-LATE"})
    record = await stack.until(started.journey_id, ended)
    assert record.status == DONE
    assert record.steps[0].verdict == Verdict.LATE
    assert record.verdict == Verdict.EARLY  # the dossier itself was due on Monday the 9th
    assert record.late is True


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
    again = await journeys.start("once", {"n": 2}, "HS-SAME")
    assert again.journey_id == first.journey_id
    assert again.inputs == {"n": 1}
    await stack.until(first.journey_id, ended)
    after_end = await journeys.start("once", {}, "HS-SAME")
    assert after_end.journey_id == first.journey_id
    with pytest.raises(DossierCodeInUse):
        await journeys.start("other", {}, "HS-SAME")

    assert stack.systems.effects[f"{first.journey_id}.only"] == 1
    assert [r.journey_id for r in await journeys.list()] == [first.journey_id]
    assert (await journeys.find("HS-SAME")) is not None


async def test_bad_starts_are_refused_and_change_nothing(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {"kind": "needs", "required_inputs": ["/inputs/citizen"],
         "steps": [{"kind": "call", "id": "only", "call": call(stack, "Registry", {})}]}
    )  # fmt: skip
    journeys = await stack.start()
    with pytest.raises(UnknownKind):
        await journeys.start("nope", {}, "HS-1")
    with pytest.raises(InvalidStart, match="citizen"):
        await journeys.start("needs", {}, "HS-2")
    with pytest.raises(InvalidStart):
        await journeys.start("needs", {"citizen": "x"}, "  ")
    assert await journeys.list() == []
    assert await journeys.find("HS-2") is None


async def test_a_wait_past_its_working_days_refuses_and_refunds(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "supplement",
            "steps": [
                {"kind": "call", "id": "fee", "call": call(stack, "Payment", {"step": "fee"}),
                 "compensation": call(stack, "Payment", {"step": "fee"}, "undo")},
                {"kind": "wait", "id": "supplement", "event": stack.event_type("supplemented"),
                 "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"},
                 "timeout_days": 7, "on_timeout": "refuse"},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("supplement", {}, "HS-SUP")
    await stack.until(started.journey_id, lambda r: r.steps[1].status == StepStatus.WAITING)

    await stack.clock.advance(timedelta(days=8))  # Tuesday the 10th, 09:00: 7 working days end Wednesday
    assert (await journeys.get(started.journey_id)).status == JourneyStatus.RUNNING
    await stack.clock.advance(timedelta(days=1, hours=9))  # Wednesday 18:00
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED
    assert "7 working days" in (record.reason or "")
    assert stack.systems.undone == ["fee"]
    await stack.publish("supplemented", {"dossier": "HS-SUP"})  # too late: changes nothing
    assert (await journeys.get(started.journey_id)).status == JourneyStatus.REFUSED


async def test_a_failing_system_is_called_again_by_the_journey_with_one_idempotency_key(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "flaky",
            "steps": [
                {"kind": "call", "id": "push", "call": call(stack, "Registry", {"step": "push"}, "flaky"),
                 "retry": {"attempts": 3, "delay_seconds": 0.05}},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("flaky", {}, "HS-FLAKY")
    stack.systems.failures[f"{started.journey_id}.push"] = 2
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    calls = record.steps[0].calls
    assert [c.outcome for c in calls] == ["failed", "failed", "succeeded"]
    assert len({c.transaction_id for c in calls}) == 3
    assert {c.idempotency_key for c in calls} == {f"{started.journey_id}.push"}


async def test_a_refusal_waits_for_a_parallel_branch_in_flight_and_undoes_it(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "race",
            "steps": [
                {"kind": "call", "id": "slow", "after": [],
                 "call": call(stack, "Residence", {"step": "slow", "work_seconds": 0.3}),
                 "compensation": call(stack, "Residence", {"step": "slow"}, "undo")},
                {"kind": "call", "id": "refuse", "after": [], "call": call(stack, "Insurance", {}, "reject")},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("race", {}, "HS-RACE")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED
    assert stack.systems.undone == ["slow"]
    assert [step.status for step in record.steps] == [StepStatus.COMPENSATED, StepStatus.REFUSED]


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
    )  # fmt: skip
    journeys = await stack.start(engines=2)
    started = [await journeys.start("busy", {}, f"HS-B{n}") for n in range(12)]
    for journey in started:
        record = await stack.until(journey.journey_id, ended)
        assert record.status == DONE, record.reason
    assert len(stack.systems.effects) == 24
    assert set(stack.systems.effects.values()) == {1}
    assert len(await journeys.list(kind="busy", status=JourneyStatus.COMPLETED, limit=50)) == 12
