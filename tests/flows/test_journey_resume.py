"""An operator resumes a parked journey: the step that parked it is tried afresh, the timers parking
dropped are armed again (deadlines as they were: the time parked counts), a compensation that failed is
tried again; bad requests change nothing; of two resumes at once one wins. Memory and RabbitMQ + Redis."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest

from bus.admin.credential import AdminCredential
from bus.flows import ManualClock
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_state import JourneyStatus, StepStatus
from bus.flows.journeys import InvalidAction, JourneyBusy, JourneyNotParked, Journeys, UnknownJourney
from bus.flows.timeliness import Verdict
from tests.flows.journey_stack import JourneyStack, journeys_http

ENDED = (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)
ADMIN_KEY = "operator-key-for-resume-tests"
ADMIN = f"admin:{hashlib.sha256(ADMIN_KEY.encode()).hexdigest()[:12]}"


def ended(record: JourneyRecord) -> bool:
    return record.status in ENDED


def manual(stack: JourneyStack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


def call(stack: JourneyStack, system: str, payload: object, path: str = "act") -> dict[str, object]:
    return {"service": stack.service(system), "path": path, "payload": payload}


def step(record: JourneyRecord, name: str) -> StepStatus:
    return next(s for s in record.steps if s.step == name).status


def define_push(stack: JourneyStack) -> None:
    """A fee, then two branches: a push to a registry that fails (two attempts), and a card polled
    hourly until issued, due in one working day; the dossier is due in one working day too."""
    stack.define(
        {
            "kind": "push",
            "deadline_days": 1,
            "steps": [
                {"kind": "call", "id": "fee", "call": call(stack, "Payment", {"step": "fee"})},
                {"kind": "call", "id": "push", "after": ["fee"],
                 "call": call(stack, "Registry", {"step": "push"}, "flaky"),
                 "retry": {"attempts": 2, "delay_seconds": 0.05}},
                {"kind": "poll", "id": "card", "after": ["fee"], "deadline_days": 1, "interval_minutes": 60,
                 "call": call(stack, "Insurance", {"reference": "card"}, "status"),
                 "until": {"at": "/status", "equals": "issued"}},
            ],
        }
    )  # fmt: skip


async def parked_push(stack: JourneyStack, code: str) -> tuple[Journeys, JourneyRecord]:
    """A `push` journey parked on its push (attempts used up), its card polled once (pending)."""
    define_push(stack)
    stack.systems.statuses["card"] = ["pending", "issued"]
    journeys = await stack.start()
    started = await journeys.start("push", {}, code)
    stack.systems.failures[f"{started.journey_id}.push"] = 3  # two used up, the third after the resume
    record = await stack.until(started.journey_id, ended)
    await stack.until(started.journey_id, lambda r: r.steps[2].calls[0].outcome is not None)
    assert record.status == JourneyStatus.PARKED and "push" in (record.reason or ""), record.reason
    return journeys, record


async def test_a_resumed_journey_retries_its_step_afresh_rearms_its_timers_and_stays_late(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    journeys, parked = await parked_push(stack, "HS-RESUME")
    journey = parked.journey_id
    await manual(stack).advance(timedelta(days=2))  # Wednesday 09:00: parked past both deadlines
    await asyncio.sleep(0.3)
    still = await journeys.get(journey)
    assert still.status == JourneyStatus.PARKED and len(still.steps[2].calls) == 1  # nothing ran

    resumed = await journeys.resume(journey, by=ADMIN, reason="the registry's certificate was renewed")
    assert resumed.status == JourneyStatus.RUNNING and resumed.finished_at is None
    record = await stack.until(journey, ended)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    push = record.steps[1]
    assert [(c.attempt, c.outcome) for c in push.calls] == [
        (1, "failed"), (2, "failed"), (3, "failed"), (4, "succeeded"),
    ]  # a fresh budget of two attempts after the resume  # fmt: skip
    assert stack.systems.effects[f"{journey}.push"] == 1
    card = record.steps[2]
    assert [c.outcome for c in card.calls] == ["succeeded", "succeeded"]  # the dropped poll, re-armed
    assert card.overdue_at is not None and card.verdict == Verdict.LATE  # its deadline, re-armed as it was
    assert record.verdict == Verdict.LATE and record.late  # the parked days count
    (action,) = record.interventions
    assert (action.action, action.by, action.steps) == ("resume", ADMIN, ["push"])
    assert action.reason == "the registry's certificate was renewed"
    assert action.parked_reason == parked.reason
    assert push.resumed_at == action.at


async def test_a_poll_dropped_while_parked_comes_at_its_time_not_at_once(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    journeys, parked = await parked_push(stack, "HS-POLL")
    await manual(stack).advance(timedelta(minutes=30))
    await journeys.resume(parked.journey_id, by=ADMIN, reason="fixed")
    await stack.until(parked.journey_id, lambda r: step(r, "push") == StepStatus.DONE)
    await asyncio.sleep(0.3)
    waiting = await journeys.get(parked.journey_id)
    assert waiting.status == JourneyStatus.RUNNING and len(waiting.steps[2].calls) == 1

    await manual(stack).advance(timedelta(minutes=31))  # an hour after the first poll
    record = await stack.until(parked.journey_id, ended)
    assert record.status == JourneyStatus.COMPLETED and len(record.steps[2].calls) == 2
    assert record.steps[2].verdict == Verdict.EARLY


async def test_a_resume_that_cannot_be_served_changes_nothing(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    journeys, parked = await parked_push(stack, "HS-BAD")
    before = await stack.store.get(f"{stack.settings.store_prefix}journey:{parked.journey_id}")

    with pytest.raises(UnknownJourney):
        await journeys.resume("no-such-journey", by=ADMIN, reason="fixed")
    for reason, by in (("", ADMIN), ("   ", ADMIN), ("x" * 1001, ADMIN), ("fixed", "")):
        with pytest.raises(InvalidAction):
            await journeys.resume(parked.journey_id, by=by, reason=reason)
    assert await stack.store.get(f"{stack.settings.store_prefix}journey:{parked.journey_id}") == before

    await journeys.resume(parked.journey_id, by=ADMIN, reason="fixed")
    with pytest.raises((JourneyNotParked, JourneyBusy)):
        await journeys.resume(parked.journey_id, by=ADMIN, reason="again")
    await manual(stack).advance(timedelta(hours=1))  # the card's next poll
    record = await stack.until(parked.journey_id, ended)
    assert record.status == JourneyStatus.COMPLETED
    with pytest.raises(JourneyNotParked):
        await journeys.resume(parked.journey_id, by=ADMIN, reason="again")
    assert len((await journeys.get(parked.journey_id)).interventions) == 1


async def test_of_two_operators_resuming_at_once_on_two_gateways_one_wins(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    journeys, parked = await parked_push(stack, "HS-TWICE")
    other = Journeys(
        stack.definitions, store=stack.store, transport=await stack.backend.transport(), clock=stack.clock,
        calendar=stack.calendar, settings=stack.settings,
    )  # fmt: skip
    answers = await asyncio.gather(
        journeys.resume(parked.journey_id, by=ADMIN, reason="first"),
        other.resume(parked.journey_id, by="admin:another", reason="second"),
        return_exceptions=True,
    )
    await manual(stack).advance(timedelta(hours=1))
    record = await stack.until(parked.journey_id, ended)

    won = [answer for answer in answers if isinstance(answer, JourneyRecord)]
    lost = [answer for answer in answers if isinstance(answer, JourneyNotParked | JourneyBusy)]
    assert len(won) == len(lost) == 1, answers
    assert record.status == JourneyStatus.COMPLETED
    assert len(record.interventions) == 1
    assert [c.attempt for c in record.steps[1].calls] == [1, 2, 3, 4]  # one fresh attempt, not two
    assert stack.systems.effects[f"{parked.journey_id}.push"] == 1


async def test_a_failed_compensation_is_retried_on_resume_and_the_refusal_completes(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "undo",
            "steps": [
                {"kind": "call", "id": "fee", "call": call(stack, "Payment", {"step": "fee"}),
                 "retry": {"attempts": 2, "delay_seconds": 0.05},
                 "compensation": call(stack, "Payment", {"step": "fee"}, "flaky")},
                {"kind": "call", "id": "check", "after": ["fee"],
                 "call": call(stack, "Insurance", {}, "reject")},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("undo", {}, "HS-UNDO")
    stack.systems.failures[f"{started.journey_id}.fee.undo"] = 2
    parked = await stack.until(started.journey_id, ended)
    assert parked.status == JourneyStatus.PARKED and "compensation of step fee" in (parked.reason or "")

    await journeys.resume(started.journey_id, by=ADMIN, reason="the payment platform is back")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.REFUSED and "check" in (record.reason or ""), record.reason
    assert [step(record, "fee"), step(record, "check")] == [StepStatus.COMPENSATED, StepStatus.REFUSED]
    undo = [c for c in record.steps[0].calls if c.purpose == "compensate"]
    assert [(c.attempt, c.outcome) for c in undo] == [(1, "failed"), (2, "failed"), (3, "succeeded")]
    assert stack.systems.effects[f"{started.journey_id}.fee.undo"] == 1


async def test_resume_over_http_needs_the_admin_key_and_a_reason(journey_stack: JourneyStack) -> None:
    stack = journey_stack
    define_push(stack)
    stack.systems.statuses["card"] = ["pending", "issued"]
    admin = AdminCredential((hashlib.sha256(ADMIN_KEY.encode()).hexdigest(),))
    async with await journeys_http(stack, admin) as http:
        assert stack._journeys is not None
        started = await stack._journeys.start("push", {}, "HS-HTTP-RESUME")
        journey = started.journey_id
        stack.systems.failures[f"{journey}.push"] = 3
        url = f"/journeys/{journey}/resume"
        key = {"x-admin-key": ADMIN_KEY}
        await stack.until(journey, lambda r: step(r, "push") == StepStatus.RUNNING)
        running = await http.post(url, json={"reason": "too early"}, headers=key)
        parked = await stack.until(journey, ended)

        assert running.status_code == 409, running.text
        assert running.json()["type"] == "Client.JourneyNotParked"
        assert (await http.post(url, json={"reason": "fixed"})).status_code == 401
        wrong = await http.post(url, json={"reason": "fixed"}, headers={"x-admin-key": "guess"})
        assert wrong.status_code == 401
        for body in ({}, {"reason": ""}, {"reason": "  "}, {"reason": "fixed", "extra": 1}):
            bad = await http.post(url, json=body, headers=key)
            assert bad.status_code == 400 and bad.json()["type"] == "Client.BadRequest", bad.text
        unknown = await http.post("/journeys/nothing/resume", json={"reason": "fixed"}, headers=key)
        assert unknown.status_code == 404
        assert (await stack._journeys.get(journey)).status == JourneyStatus.PARKED

        answer = await http.post(url, json={"reason": "registry fixed"}, headers=key)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "running"
        assert answer.json()["interventions"][0] | {"at": None} == {
            "action": "resume", "by": ADMIN, "reason": "registry fixed", "at": None,
            "parked_reason": parked.reason, "steps": ["push"],
        }  # fmt: skip
        await manual(stack).advance(timedelta(hours=1))
        record = await stack.until(journey, ended)
        assert record.status == JourneyStatus.COMPLETED


async def test_resume_over_http_is_forbidden_without_a_configured_admin_key(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    define_push(stack)
    async with await journeys_http(stack) as http:
        denied = await http.post("/journeys/any/resume", json={"reason": "x"}, headers={"x-admin-key": "k"})
    assert denied.status_code == 403, denied.text


async def test_a_wait_parked_by_its_time_out_takes_the_event_that_came_meanwhile_or_waits_afresh(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "await",
            "steps": [
                {"kind": "wait", "id": "supplement", "event": stack.event_type("supplemented"),
                 "match": {"at": "/dossier", "equals": "${/journey/dossier_code}"},
                 "timeout_days": 1, "on_timeout": "park"},
                {"kind": "call", "id": "finish", "call": call(stack, "Registry", {"step": "finish"})},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    came = (await journeys.start("await", {}, "HS-CAME")).journey_id
    afresh = (await journeys.start("await", {}, "HS-AFRESH")).journey_id
    for journey in (came, afresh):
        await stack.until(journey, lambda r: step(r, "supplement") == StepStatus.WAITING)
    await manual(stack).advance(timedelta(days=1, hours=9))  # Tuesday 18:00: a working day passed
    for journey in (came, afresh):
        assert (await stack.until(journey, ended)).status == JourneyStatus.PARKED
    await stack.publish("supplemented", {"dossier": "HS-CAME"})  # while parked: kept, not taken
    await asyncio.sleep(0.3)
    assert step(await journeys.get(came), "supplement") == StepStatus.FAILED

    await journeys.resume(came, by=ADMIN, reason="the citizen supplemented at the counter")
    await journeys.resume(afresh, by=ADMIN, reason="the citizen was given another day")
    completed = await stack.until(came, ended)
    await asyncio.sleep(0.3)
    waiting = await journeys.get(afresh)  # its time-out runs from the resume: not parked again at once
    await manual(stack).advance(timedelta(days=2))  # Thursday 18:00: a working day after the resume
    parked_again = await stack.until(afresh, ended)

    assert completed.status == JourneyStatus.COMPLETED and stack.systems.effects[f"{came}.finish"] == 1
    assert waiting.status == JourneyStatus.RUNNING and step(waiting, "supplement") == StepStatus.WAITING
    assert parked_again.status == JourneyStatus.PARKED and "1 working days" in (parked_again.reason or "")
    assert len(parked_again.interventions) == 1


async def test_a_journey_parked_while_a_branch_is_still_out_is_resumed_once_that_call_settles(
    journey_stack: JourneyStack,
) -> None:
    """Parked by one branch while another's call is out: the run still holds the journey (busy, 409,
    nothing changed); resumed after, the call out is asked again with its ids and takes effect once."""
    stack = journey_stack
    stack.define(
        {
            "kind": "settle",
            "steps": [
                {"kind": "call", "id": "go", "call": call(stack, "Payment", {"step": "go"})},
                {"kind": "call", "id": "slow", "after": ["go"],
                 "call": call(stack, "Residence", {"step": "slow", "block": True})},
                {"kind": "call", "id": "push", "after": ["go"],
                 "call": call(stack, "Registry", {"step": "push"}, "flaky"), "retry": {"attempts": 1}},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("settle", {}, "HS-SETTLE")
    stack.systems.failures[f"{started.journey_id}.push"] = 1
    await asyncio.wait_for(stack.systems.entered.wait(), 5)
    parked = await stack.until(started.journey_id, ended)
    assert "push" in (parked.reason or ""), parked.reason
    with pytest.raises(JourneyBusy):
        await journeys.resume(started.journey_id, by=ADMIN, reason="too soon")
    stack.systems.gate.set()
    await stack.until(started.journey_id, lambda r: all(c.outcome for c in r.steps[1].calls))
    await asyncio.sleep(0.3)  # the run gives the journey up

    await journeys.resume(started.journey_id, by=ADMIN, reason="the registry is back")
    record = await stack.until(started.journey_id, ended)

    assert record.status == JourneyStatus.COMPLETED, record.reason
    assert stack.systems.effects[f"{started.journey_id}.slow"] == 1
    assert [c.attempt for c in record.steps[1].calls] == [1]  # asked again with the same ids
    assert stack.systems.effects[f"{started.journey_id}.push"] == 1
    assert len(record.interventions) == 1
