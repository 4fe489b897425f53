"""One worker's turn at one journey: take the tick, start what can start, make the calls, record each
answer, and write the state (compare-and-set, renewing the lease) before every call and after every
answer, so that whatever is lost with the worker is redone from the stored state with the same ids.

Calls of parallel steps run at once; the state is changed only by this coroutine, between awaits.
Timers to arm are published before the write that records them: a tick whose write was lost finds no
timer and is dropped, while a timer recorded is never without its tick.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bus.events import BusEvent
from bus.flows.clock import Clock
from bus.flows.journey_answers import Decision, judge_answer, judge_compensation
from bus.flows.journey_book import EventWait, JourneyBook, Stored
from bus.flows.journey_calls import Outgoing, build_call, note_answer, note_sent
from bus.flows.journey_model import (
    CallStep,
    Compensation,
    JourneyDefinition,
    Outcome,
    PollStep,
    ServiceCallSpec,
    WaitStep,
)
from bus.flows.journey_paths import MissingValue, render_text
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import (
    FINISHED,
    CallPurpose,
    JourneyStatus,
    StepState,
    StepStatus,
    TimerPurpose,
    TimerRecord,
)
from bus.flows.journey_ticks import JourneyTick, TickPublisher, is_due
from bus.flows.service_calls import CallResult, ServiceCaller
from vn_calendar import WorkingCalendar

AnyStep = CallStep | PollStep | WaitStep
OPEN = frozenset({StepStatus.PENDING, StepStatus.RUNNING, StepStatus.WAITING})


class LostJourney(Exception):
    """Another worker wrote the journey's state first: this one stops."""


@dataclass(frozen=True)
class Services:
    """What a run works with."""

    book: JourneyBook
    caller: ServiceCaller
    ticks: TickPublisher
    clock: Clock
    calendar: WorkingCalendar
    settings: JourneySettings
    holder: str


class JourneyRun:
    """Advances one journey as far as it goes without waiting on a timer or an event."""

    def __init__(self, definition: JourneyDefinition, stored: Stored, services: Services) -> None:
        self.definition = definition
        self.stored = stored
        self.state = stored.state.model_copy(deep=True)
        self.s = services
        self._to_arm: list[TimerRecord] = []

    async def advance(self, tick: JourneyTick) -> None:
        """Apply `tick`, then start, call and record until nothing more can happen now."""
        await self._take(tick)
        in_flight: dict[asyncio.Future[CallResult], Outgoing] = {}
        try:
            while True:
                busy = {out.step for out in in_flight.values()}
                outgoing = await self._plan(busy)
                await self.commit()
                for out in outgoing:
                    in_flight[asyncio.ensure_future(self.s.caller.call(out.call))] = out
                if not in_flight:
                    return
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    self._absorb(in_flight.pop(future), future.result())
        finally:
            for future in in_flight:
                future.cancel()

    async def commit(self) -> None:
        """Arm new timers, then write the state over the one read, holding the lease on; LostJourney if
        the stored state changed meanwhile."""
        for timer in self._to_arm:
            await self.s.ticks.arm(self.state.journey_id, timer)
        self._to_arm.clear()
        self.state.lease_holder = self.s.holder
        self.state.lease_until = time.time() + self.s.settings.lease_seconds
        written = await self.s.book.replace(self.stored, self.state)
        if written is None:
            raise LostJourney(self.state.journey_id)
        self.stored = written
        self.state = written.state.model_copy(deep=True)

    async def release(self) -> None:
        """Give the lease up on the state last written (best effort: it expires anyway). Changes not
        written yet are dropped, as with a worker that died: a commit that failed halfway (a timer's
        tick refused by the broker) must not leave a timer recorded that no tick fires."""
        state = self.stored.state.model_copy(deep=True)
        state.lease_holder = None
        state.lease_until = 0.0
        written = await self.s.book.replace(self.stored, state)
        if written is not None:
            self.stored = written

    # --- ticks: timers and events -------------------------------------------------------------------

    async def _take(self, tick: JourneyTick) -> None:
        if self.state.terminal:
            return
        if self.state.rearm:
            await self._rearm()
        if tick.timer is not None:
            timer = self.state.timers.get(tick.timer)
            if timer is None:
                return  # fired already, or dropped with its step
            if not is_due(timer, self.s.clock):
                self._to_arm.append(timer)
                return
            del self.state.timers[timer.timer_id]
            self._fire(timer)
        if tick.event_type is not None and tick.event_key is not None and tick.step is not None:
            step = self.state.steps.get(tick.step)
            spec = self.definition.step(tick.step) if step is not None else None
            if (
                step is not None
                and isinstance(spec, WaitStep)
                and tick.event_type in spec.event
                and step.status == StepStatus.WAITING
                and step.wait_key == tick.event_key
            ):
                event = await self.s.book.arrived(tick.event_type, tick.event_key)
                if event is not None:
                    self._event_arrived(step, event)

    def _fire(self, timer: TimerRecord) -> None:
        step = self.state.steps[timer.step]
        spec = self.definition.step(timer.step)
        if timer.purpose == "deadline":
            if step.status in OPEN and step.overdue_at is None and timer.due_at is not None:
                self._overdue(step, timer.due_at)
            return
        if timer.purpose == "wait_timeout":
            if step.status == StepStatus.WAITING and isinstance(spec, WaitStep):
                awaited = " or ".join(spec.event)
                self._conclude(step, spec.on_timeout, f"no {awaited} within {spec.timeout_days} working days")
            return
        if step.held_by != timer.timer_id:
            return
        step.held_by = None
        if timer.purpose == "poll":
            step.move(StepStatus.RUNNING)
            step.polls += 1
            step.attempt, step.attempt_base = 1, 0
        elif timer.purpose == "retry":
            if step.status == StepStatus.COMPENSATING:
                step.compensation_attempt += 1
            else:
                step.attempt += 1
        # "recheck": the same call again, same ids, to learn its outcome

    async def _rearm(self) -> None:
        """After an operator's resume: restore what parking dropped, each open step's timers (deadlines
        as they were: the time parked counts) and the events its waits missed while parked."""
        self.state.rearm = False
        for step in list(self.state.steps.values()):
            if self.state.terminal:
                return
            spec = self.definition.step(step.step)
            if step.status in (StepStatus.RUNNING, StepStatus.COMPENSATING):
                step.held_by = None  # its retry or recheck went with the parking: call at once
            if step.status not in OPEN or step.status == StepStatus.PENDING:
                continue
            if step.due_at is not None and step.overdue_at is None:
                # Passed while parked: overdue now, not when a tick comes (a poll's tick, also due,
                # could finish the step first and drop the deadline unrecorded).
                if step.due_at <= self.s.clock.now():
                    self._overdue(step, step.due_at)
                    if step.status not in OPEN:
                        continue
                else:
                    self._arm(step, "deadline", due_at=step.due_at)
            if isinstance(spec, PollStep) and step.status == StepStatus.WAITING:
                answered = [call.answered_at for call in step.calls if call.answered_at is not None]
                last = max(answered, default=self.s.clock.now())
                due = last + timedelta(minutes=spec.interval_minutes)
                step.held_by = self._arm(step, "poll", due_at=due)
            elif isinstance(spec, WaitStep) and step.status == StepStatus.WAITING:
                await self._rewait(spec, step)

    async def _rewait(self, spec: WaitStep, step: StepState) -> None:
        """A wait carries on: an event that came meanwhile ends it, else its time-out is armed again
        (counted from its start, or from the operator's resume of the wait itself)."""
        assert step.wait_key is not None
        key = step.wait_key
        came = [event for event_type in spec.event if (event := await self.s.book.arrived(event_type, key))]
        if came:
            self._event_arrived(step, min(came, key=lambda event: event.occurred_at.timestamp()))
        elif spec.timeout_days is not None:
            began = step.resumed_at or step.started_at
            assert began is not None
            until = self.s.calendar.add_working_days(began, spec.timeout_days)
            self._arm(step, "wait_timeout", due_at=until)

    def _overdue(self, step: StepState, due_at: datetime) -> None:
        """An open step's deadline has passed: recorded, and its `on_deadline` applied."""
        step.overdue_at = due_at
        spec = self.definition.step(step.step)
        if spec.on_deadline != "continue":
            self._conclude(step, spec.on_deadline, f"step {step.step} missed its deadline")

    def _event_arrived(self, step: StepState, event: BusEvent) -> None:
        spec = self.definition.step(step.step)
        assert isinstance(spec, WaitStep)
        step.result = event.data
        step.event_type = event.type
        if event.type in spec.refuse_on:
            self._conclude(step, "refuse", f"step {step.step}: {event.type} came")
        elif spec.refuse_if is not None and spec.refuse_if.holds(event.data):
            self._conclude(step, "refuse", f"{event.type} refused: {spec.refuse_if.at}")
        else:
            self._complete(step)

    # --- planning -----------------------------------------------------------------------------------

    async def _plan(self, busy: set[str]) -> list[Outgoing]:
        outgoing: list[Outgoing] = []
        if self.state.status == JourneyStatus.RUNNING:
            await self._plan_forward(busy, outgoing)
        if self.state.status == JourneyStatus.COMPENSATING:
            self._plan_compensation(busy, outgoing)
        return outgoing

    async def _plan_forward(self, busy: set[str], outgoing: list[Outgoing]) -> None:
        busy = set(busy)
        started = True
        while started and self.state.status == JourneyStatus.RUNNING:
            # again after any start: a step that finished at once (skipped, its event already there)
            # may let a step listed before it start
            started = False
            for spec in self.definition.steps:
                if self.state.status != JourneyStatus.RUNNING:
                    return
                step = self.state.steps[spec.id]
                if step.status == StepStatus.PENDING and self._may_start(spec.id):
                    await self._start(spec, step, outgoing)
                    busy.add(spec.id)
                    started = True
                elif step.status == StepStatus.RUNNING and step.held_by is None and spec.id not in busy:
                    self._send(spec, step, outgoing)
                    busy.add(spec.id)
        if self.state.status == JourneyStatus.RUNNING and all(
            step.status in FINISHED for step in self.state.steps.values()
        ):
            self.state.finish(JourneyStatus.COMPLETED, self.s.clock.now())

    def _may_start(self, step_id: str) -> bool:
        return all(
            self.state.steps[name].status in FINISHED for name in self.definition.predecessors(step_id)
        )

    async def _start(self, spec: AnyStep, step: StepState, outgoing: list[Outgoing]) -> None:
        now = self.s.clock.now()
        context = self.state.context()
        if not all(condition.holds(context) for condition in spec.when):
            step.move(StepStatus.SKIPPED)
            step.finished_at = now
            step.reason = "conditions not met"
            return
        step.started_at = now
        if spec.deadline_days is not None:
            step.due_at = self.s.calendar.add_working_days(now, spec.deadline_days)
            self._arm(step, "deadline", due_at=step.due_at)
        if isinstance(spec, WaitStep):
            await self._start_wait(spec, step)
            return
        step.move(StepStatus.RUNNING)
        step.attempt = 1
        step.polls = 1 if isinstance(spec, PollStep) else 0
        self._send(spec, step, outgoing)

    async def _start_wait(self, spec: WaitStep, step: StepState) -> None:
        step.move(StepStatus.WAITING)
        try:
            key = render_text(spec.match.equals, self.state.context())
        except MissingValue as missing:
            self._conclude(step, "park", f"step {step.step}: {missing}")
            return
        step.wait_key = key
        wait = EventWait(journey_id=self.state.journey_id, step=step.step)
        for event_type in spec.event:
            await self.s.book.register_wait(event_type, key, wait)
        if spec.timeout_days is not None:
            assert step.started_at is not None
            until = self.s.calendar.add_working_days(step.started_at, spec.timeout_days)
            self._arm(step, "wait_timeout", due_at=until)
        # Events may have come before the wait began: the first of them ends it.
        came = [event for event_type in spec.event if (event := await self.s.book.arrived(event_type, key))]
        if came:
            self._event_arrived(step, min(came, key=lambda event: event.occurred_at.timestamp()))

    def _plan_compensation(self, busy: set[str], outgoing: list[Outgoing]) -> None:
        for step in self.state.steps.values():
            spec = self.definition.step(step.step)
            stops = step.status in (StepStatus.PENDING, StepStatus.WAITING) or (
                step.status == StepStatus.RUNNING and not isinstance(spec, CallStep)
            )
            if stops:
                step.move(StepStatus.CANCELLED)
                step.held_by = None
                self.state.drop_timers(step.step)
        # A call whose outcome is not known yet may have taken effect: learn it before undoing anything.
        unresolved = [step for step in self.state.steps.values() if step.status == StepStatus.RUNNING]
        for step in unresolved:
            if step.held_by is None and step.step not in busy:
                self._send(self.definition.step(step.step), step, outgoing)
        if unresolved:
            return
        context = self.state.context()
        undo = [
            step
            for step in self.state.steps.values()
            if (compensation := self._compensation(step.step)) is not None
            and (
                step.status == StepStatus.COMPENSATING
                or (step.status == StepStatus.DONE and all(c.holds(context) for c in compensation.when))
            )
        ]
        if not undo:
            self.state.finish(JourneyStatus.REFUSED, self.s.clock.now())
            return
        step = max(undo, key=lambda found: found.completed_seq or 0)  # reverse order of completion
        if step.status == StepStatus.DONE:
            step.move(StepStatus.COMPENSATING)
            step.compensation_attempt = 1
            step.deferrals = step.attempt_base = 0  # counted again for the compensation's attempts
        if step.held_by is None and step.step not in busy:
            self._send_compensation(step, outgoing)

    def _compensation(self, step_id: str) -> Compensation | None:
        spec = self.definition.step(step_id)
        return spec.compensation if isinstance(spec, CallStep) else None

    # --- calls ----------------------------------------------------------------------------------------

    def _send(self, spec: AnyStep, step: StepState, outgoing: list[Outgoing]) -> None:
        assert isinstance(spec, CallStep | PollStep)
        key = f"{self.state.journey_id}.{step.step}"
        purpose: CallPurpose = "call"
        if isinstance(spec, PollStep):
            key, purpose = f"{key}.poll{step.polls}", "poll"
        self._out(step, spec.call, key, step.attempt, purpose, outgoing)

    def _send_compensation(self, step: StepState, outgoing: list[Outgoing]) -> None:
        spec = self._compensation(step.step)
        assert spec is not None
        key = f"{self.state.journey_id}.{step.step}.undo"
        self._out(step, spec, key, step.compensation_attempt, "compensate", outgoing)

    def _out(
        self,
        step: StepState,
        spec: ServiceCallSpec,
        key: str,
        attempt: int,
        purpose: CallPurpose,
        outgoing: list[Outgoing],
    ) -> None:
        try:
            call = build_call(self.state, spec, key, attempt, self.s.clock.now())
        except MissingValue as missing:
            step.move(StepStatus.FAILED)  # it cannot be called
            self._park(f"step {step.step}: {missing}")
            return
        note_sent(step, call, purpose, attempt, self.s.clock.now())
        outgoing.append(Outgoing(step.step, purpose, call))

    # --- answers --------------------------------------------------------------------------------------

    def _absorb(self, out: Outgoing, result: CallResult) -> None:
        step = self.state.steps[out.step]
        note_answer(step, out.call.message_id, result, self.s.clock.now())
        if self.state.terminal:
            return
        if result.outcome != "unknown":
            step.rechecks = 0
        if out.purpose == "compensate":
            self._absorb_compensation(step, result)
        elif step.status == StepStatus.RUNNING:
            self._absorb_call(step, result)

    def _absorb_call(self, step: StepState, result: CallResult) -> None:
        spec = self.definition.step(step.step)
        assert isinstance(spec, CallStep | PollStep)
        decision = judge_answer(spec, step, result, self.s.settings)
        if result.outcome == "succeeded":
            step.result = result.payload
        if decision.verdict == "poll_again":
            assert isinstance(spec, PollStep)
            step.move(StepStatus.WAITING)
            due = self.s.clock.now() + timedelta(minutes=spec.interval_minutes)
            step.held_by = self._arm(step, "poll", due_at=due)
        elif decision.verdict == "done":
            self._complete(step)
        else:
            self._apply(step, decision)

    def _absorb_compensation(self, step: StepState, result: CallResult) -> None:
        if step.status != StepStatus.COMPENSATING:
            return
        spec = self.definition.step(step.step)
        assert isinstance(spec, CallStep)
        decision = judge_compensation(spec, step, result, self.s.settings)
        if decision.verdict == "done":
            step.move(StepStatus.COMPENSATED)
        else:
            self._apply(step, decision)

    def _apply(self, step: StepState, decision: Decision) -> None:
        """Carry out a decision to try again, ask again, refuse or park."""
        if decision.verdict in ("retry", "defer"):
            step.deferrals += decision.verdict == "defer"
            self._hold(step, "retry", decision.delay)
        elif decision.verdict == "recheck":
            step.rechecks += 1
            self._hold(step, "recheck", decision.delay)
        elif decision.verdict == "refuse":
            self._conclude(step, "refuse", decision.reason)
        else:
            self._conclude(step, "park", decision.reason)

    # --- outcomes -------------------------------------------------------------------------------------

    def _complete(self, step: StepState) -> None:
        step.move(StepStatus.DONE)
        step.finished_at = self.s.clock.now()
        step.completed_seq = self.state.next_seq()
        step.held_by = None
        self.state.drop_timers(step.step)

    def _conclude(self, step: StepState, outcome: Outcome, reason: str) -> None:
        step.reason = reason
        step.finished_at = self.s.clock.now()
        step.held_by = None
        self.state.drop_timers(step.step)
        if outcome == "continue":
            step.move(StepStatus.SKIPPED)
        elif outcome == "refuse":
            step.move(StepStatus.REFUSED)
            if self.state.status == JourneyStatus.RUNNING:
                self.state.status = JourneyStatus.COMPENSATING
                self.state.reason = reason
        else:
            step.move(StepStatus.FAILED)
            self._park(reason)

    def _park(self, reason: str) -> None:
        self.state.finish(JourneyStatus.PARKED, self.s.clock.now(), reason)

    # --- timers ---------------------------------------------------------------------------------------

    def _arm(self, step: StepState, purpose: TimerPurpose, *, due_at: datetime) -> str:
        timer = self.state.add_timer(step.step, purpose, due_at=due_at)
        self._to_arm.append(timer)
        return timer.timer_id

    def _hold(self, step: StepState, purpose: TimerPurpose, seconds: float) -> None:
        timer = self.state.add_timer(step.step, purpose, wall_due=time.time() + seconds)
        self._to_arm.append(timer)
        step.held_by = timer.timer_id
