"""Journeys that go wrong: refusals and their compensations, failing systems, a dying engine,
missed deadlines. Run on memory and on RabbitMQ + Redis."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bus.errors import BusUnavailable
from bus.flows import ManualClock
from bus.flows.journey_book import Stored
from bus.flows.journey_engine import JourneyEngine
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.timeliness import Verdict
from bus.transport.base import dead_letter_queue
from tests.flows.journey_stack import JourneyStack

DONE = JourneyStatus.COMPLETED


def ended(record: JourneyRecord) -> bool:
    return record.status in (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


def manual(stack: JourneyStack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


def call(stack: JourneyStack, system: str, payload: object, path: str = "act") -> dict[str, object]:
    return {"service": stack.service(system), "path": path, "payload": payload}


async def test_a_refusal_runs_the_compensations_in_reverse_order_and_stops_what_follows(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack

    def undoable(name: str, system: str) -> dict[str, object]:
        return {
            "kind": "call",
            "id": name,
            "call": call(stack, system, {"step": name}),
            "compensation": call(
                stack, system, {"step": name, "ref": f"${{/steps/{name}/result/reference}}"}, "undo"
            ),
        }

    stack.define(
        {
            "kind": "refused",
            "steps": [
                undoable("fee", "Payment"),
                undoable("receipt", "Payment"),
                {
                    "kind": "call",
                    "id": "decide",
                    "call": call(stack, "Registry", {"step": "decide", "answer": "6"}),
                    "refuse_if": {"at": "/status", "equals": "6"},
                },
                undoable("parcel", "Residence"),
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("refused", {}, "HS-REF")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED
    assert "decide" in (record.reason or "")
    assert stack.systems.undone == ["receipt", "fee"]
    assert [step.status for step in record.steps] == [
        StepStatus.COMPENSATED,
        StepStatus.COMPENSATED,
        StepStatus.REFUSED,
        StepStatus.CANCELLED,
    ]
    assert stack.systems.effects[f"{started.journey_id}.parcel"] == 0
    assert len(record.steps[0].transaction_ids) == 2  # the call and its compensation
    assert record.steps[0].calls[1].purpose == "compensate"


async def test_a_compensation_runs_only_if_its_conditions_hold_when_the_journey_is_refused(
    journey_stack: JourneyStack,
) -> None:
    """`told` is undone (the portal told the dossier is stopped) unless `stop` told it already before
    refusing: once on every way to a refusal, never twice."""
    stack = journey_stack
    stack.define(
        {
            "kind": "notify",
            "steps": [
                {
                    "kind": "call",
                    "id": "told",
                    "call": call(stack, "Registry", {"step": "told"}),
                    "compensation": call(stack, "Registry", {"step": "told"}, "undo")
                    | {"when": [{"at": "/steps/stop/result/status", "exists": False}]},
                },
                {
                    "kind": "call",
                    "id": "stop",  # tells "stopped" itself, then refuses
                    "when": [{"at": "/inputs/way", "equals": "stop"}],
                    "call": call(stack, "Registry", {"step": "stop", "answer": "8"}),
                    "refuse_if": {"at": "/status", "equals": "8"},
                },
                {"kind": "call", "id": "check", "call": call(stack, "Insurance", {}, "reject")},
            ],
        }
    )
    journeys = await stack.start()
    stopped = await journeys.start("notify", {"way": "stop"}, "HS-STOP")
    rejected = await journeys.start("notify", {"way": "reject"}, "HS-REJ")
    stopped_record = await stack.until(stopped.journey_id, ended)
    rejected_record = await stack.until(rejected.journey_id, ended)

    assert stopped_record.status == rejected_record.status == JourneyStatus.REFUSED
    assert [step.status for step in stopped_record.steps] == [
        StepStatus.DONE, StepStatus.REFUSED, StepStatus.CANCELLED,
    ]  # fmt: skip
    assert [step.status for step in rejected_record.steps] == [
        StepStatus.COMPENSATED, StepStatus.SKIPPED, StepStatus.REFUSED,
    ]  # fmt: skip
    assert stack.systems.undone == ["told"]  # the rejected one's only
    assert stack.systems.effects[f"{rejected.journey_id}.told.undo"] == 1


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
                {
                    "kind": "call",
                    "id": "register",
                    "call": call(stack, "Registry", {"step": "register", "block": True}),
                },
                {"kind": "call", "id": "residence", "call": call(stack, "Residence", {"step": "residence"})},
            ],
        }
    )
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
                {
                    "kind": "wait",
                    "id": "supplement",
                    "deadline_days": 2,
                    "event": stack.event_type("supplemented"),
                    "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"},
                },
                {"kind": "call", "id": "finish", "call": call(stack, "Registry", {"step": "finish"})},
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("slow", {}, "HS-LATE")
    assert started.steps[0].due_at is None  # not started until the engine takes it
    waiting = await stack.until(started.journey_id, lambda r: r.steps[0].status == StepStatus.WAITING)
    assert waiting.steps[0].due_at is not None
    assert waiting.steps[0].due_at.isoformat() == "2026-03-04T17:00:00+07:00"  # Monday 09:00 + 2 working days
    assert waiting.steps[0].verdict == Verdict.OPEN
    assert await journeys.list(late=True) == []

    await manual(stack).advance(timedelta(days=3))  # Thursday 09:00: the deadline passed on Wednesday
    overdue = await stack.until(started.journey_id, lambda r: r.steps[0].overdue_at is not None)
    assert overdue.steps[0].verdict == Verdict.OPEN_LATE
    assert [r.journey_id for r in await journeys.list(late=True)] == [started.journey_id]

    await stack.publish("supplemented", {"dossier": "HS-LATE"})
    record = await stack.until(started.journey_id, ended)
    assert record.status == DONE
    assert record.steps[0].verdict == Verdict.LATE
    assert record.verdict == Verdict.EARLY  # the dossier itself was due on Monday the 9th
    assert record.late is True


async def test_a_wait_past_its_working_days_refuses_and_refunds(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "supplement",
            "steps": [
                {
                    "kind": "call",
                    "id": "fee",
                    "call": call(stack, "Payment", {"step": "fee"}),
                    "compensation": call(stack, "Payment", {"step": "fee"}, "undo"),
                },
                {
                    "kind": "wait",
                    "id": "supplement",
                    "event": stack.event_type("supplemented"),
                    "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"},
                    "timeout_days": 7,
                    "on_timeout": "refuse",
                },
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("supplement", {}, "HS-SUP")
    await stack.until(started.journey_id, lambda r: r.steps[1].status == StepStatus.WAITING)

    await manual(stack).advance(timedelta(days=8))  # Tuesday the 10th, 09:00: 7 working days end Wednesday
    assert (await journeys.get(started.journey_id)).status == JourneyStatus.RUNNING
    await manual(stack).advance(timedelta(days=1, hours=9))  # Wednesday 18:00
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
                {
                    "kind": "call",
                    "id": "push",
                    "call": call(stack, "Registry", {"step": "push"}, "flaky"),
                    "retry": {"attempts": 3, "delay_seconds": 0.05},
                },
            ],
        }
    )
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
                {
                    "kind": "call",
                    "id": "slow",
                    "after": [],
                    "call": call(stack, "Residence", {"step": "slow", "work_seconds": 0.3}),
                    "compensation": call(stack, "Residence", {"step": "slow"}, "undo"),
                },
                {"kind": "call", "id": "refuse", "after": [], "call": call(stack, "Insurance", {}, "reject")},
            ],
        }
    )
    journeys = await stack.start()
    started = await journeys.start("race", {}, "HS-RACE")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED
    assert stack.systems.undone == ["slow"]
    assert [step.status for step in record.steps] == [StepStatus.COMPENSATED, StepStatus.REFUSED]


async def test_a_call_unanswered_while_its_system_is_down_is_asked_again_and_takes_effect_once(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "outage",
            "steps": [{"kind": "call", "id": "push", "call": call(stack, "Registry", {"step": "push"})}],
        }
    )
    journeys = await stack.start()
    assert stack.worker is not None
    await stack.worker.stop()  # the registry's worker is down: the call waits in its queue, unanswered
    started = await journeys.start("outage", {}, "HS-DOWN")
    await stack.until(
        started.journey_id, lambda r: bool(r.steps[0].calls) and r.steps[0].calls[0].outcome == "unknown"
    )
    assert stack.systems.effects == {}

    await stack.worker.start()  # back: it finds the first copy and the copies sent again, all one message id
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert stack.systems.effects[f"{started.journey_id}.push"] == 1
    (only,) = record.steps[0].calls
    assert only.outcome == "succeeded"


async def test_calls_the_bus_turns_away_over_a_quota_wait_without_using_attempts(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "quota",
            "steps": [
                {"kind": "call", "id": f"s{n}", "after": [], "retry": {"attempts": 1},
                 "call": {"service": stack.service("Quota"), "path": "act", "payload": {"step": f"s{n}"}}}
                for n in range(3)
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("quota", {}, "HS-QUOTA")
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    turned_away = [c for step in record.steps for c in step.calls if c.error_type == "Client.RateLimited"]
    assert turned_away  # three at once over a burst of one: some waited their turn
    assert sorted(stack.systems.order) == ["s0", "s1", "s2"]


async def test_a_call_made_on_a_timer_tick_survives_its_engine_dying(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "retried",
            "steps": [
                {"kind": "call", "id": "push", "retry": {"attempts": 3, "delay_seconds": 0.05},
                 "call": call(stack, "Registry", {"step": "push", "block": True}, "flaky")},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start(engines=1)
    started = await journeys.start("retried", {}, "HS-TIMER")
    stack.systems.failures[f"{started.journey_id}.push"] = (
        1  # the first call fails; the retry timer's call blocks
    )
    await stack.systems.entered.wait()

    await stack.engines[0].transport.close()  # dies in the run its retry timer's tick started
    stack.systems.gate.set()
    await stack.add_engine()
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert stack.systems.effects[f"{started.journey_id}.push"] == 1
    assert [c.outcome for c in record.steps[0].calls] == ["failed", "succeeded"]


def failing_loads(engine: JourneyEngine, error: Exception, times: int) -> list[str]:
    """Make the engine's reads of journeys fail with `error` `times` times (all if negative); the
    journey ids the failed reads were for."""
    failed: list[str] = []
    load = engine.book.load

    async def flaky_load(journey_id: str) -> Stored | None:
        if times < 0 or len(failed) < times:
            failed.append(journey_id)
            raise error
        return await load(journey_id)

    engine.book.load = flaky_load  # type: ignore[method-assign]
    return failed


async def test_a_tick_whose_engine_cannot_reach_its_store_is_deferred_past_the_delivery_limit(
    journey_stack: JourneyStack,
) -> None:
    """Redis or the broker away for longer than a tick's deliveries (5): the tick is put back with a
    back-off rather than dead-lettered, and the journey carries on once the trouble clears."""
    stack = journey_stack
    stack.settings = stack.settings.model_copy(update={"busy_retry_seconds": 0.02, "deferral_seconds": 0.05})
    stack.define(
        {"kind": "outage", "steps": [{"kind": "call", "id": "a", "call": call(stack, "Registry", {})}]}
    )
    journeys = await stack.start()
    failed = failing_loads(stack.engines[0], BusUnavailable("store unreachable"), times=8)
    started = await journeys.start("outage", {}, "HS-OUTAGE")
    record = await stack.until(started.journey_id, ended)

    assert record.status == DONE, record.reason
    assert failed == [started.journey_id] * 8
    assert await stack.engines[0].transport.get(dead_letter_queue(stack.settings.queue)) is None


async def test_a_tick_whose_run_fails_for_a_bug_is_dead_lettered_at_its_delivery_limit(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {"kind": "buggy", "steps": [{"kind": "call", "id": "a", "call": call(stack, "Registry", {})}]}
    )
    journeys = await stack.start()
    engine = stack.engines[0]
    failed = failing_loads(engine, RuntimeError("a bug"), times=-1)
    started = await journeys.start("buggy", {}, "HS-BUGGY")
    dead = None
    for _ in range(250):
        dead = await engine.transport.get(dead_letter_queue(stack.settings.queue))
        if dead is not None:
            break
        await asyncio.sleep(0.02)

    assert dead is not None and dead.message.correlation_id == started.journey_id
    await dead.ack()
    assert failed == [started.journey_id] * 5  # the delivery limit
    assert (await journeys.get(started.journey_id)).status == JourneyStatus.RUNNING
