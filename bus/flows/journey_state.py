"""A journey's state as stored after every step transition (JSON in the Store), and its legal moves.

Journey: running → completed | compensating → refused; any open state → parked (with a reason); parked
→ running | compensating (an operator's resume, see journey_resume).
Step: pending → running ⇄ waiting → done | refused | failed | skipped | cancelled; done → compensating →
compensated | failed; failed → running | waiting | compensating (resumed). A move outside `STEP_MOVES`
raises IllegalTransition: a bug, never a journey's fate.
A step that is `running` with no call out (after a worker died) is sent again with the same ids.

No state-machine library: the state is a pydantic document read from the Store, changed, and written
back by compare-and-set on every transition, and its legal moves are the table below. `transitions`
and `python-statemachine` keep the current state on a live Python object and drive callbacks from it,
a second model of the same state that would have to be rebuilt from the document at every tick.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, JsonValue


class JourneyStatus(StrEnum):
    """Where a journey stands."""

    RUNNING = "running"
    COMPENSATING = "compensating"
    COMPLETED = "completed"
    REFUSED = "refused"
    PARKED = "parked"


TERMINAL = frozenset({JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED})


class StepStatus(StrEnum):
    """Where a step stands."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"


_S = StepStatus
STEP_MOVES: dict[StepStatus, frozenset[StepStatus]] = {
    _S.PENDING: frozenset({_S.RUNNING, _S.WAITING, _S.SKIPPED, _S.CANCELLED}),
    _S.RUNNING: frozenset({_S.WAITING, _S.DONE, _S.REFUSED, _S.FAILED, _S.CANCELLED}),
    _S.WAITING: frozenset({_S.RUNNING, _S.DONE, _S.REFUSED, _S.FAILED, _S.SKIPPED, _S.CANCELLED}),
    _S.DONE: frozenset({_S.COMPENSATING}),
    _S.COMPENSATING: frozenset({_S.COMPENSATED, _S.FAILED}),
    _S.FAILED: frozenset({_S.RUNNING, _S.WAITING, _S.COMPENSATING}),  # an operator's resume
}
FINISHED = frozenset({_S.DONE, _S.SKIPPED})  # a successor may start
# In the context: steps done, and those whose answer refused the journey (what they answered, e.g. a
# status pushed before the refusal, is for the compensations to read; a rejected call has a null result).
ANSWERED = frozenset({_S.DONE, _S.COMPENSATING, _S.COMPENSATED, _S.REFUSED})
CallPurpose = Literal["call", "poll", "compensate"]
TimerPurpose = Literal["poll", "retry", "recheck", "wait_timeout", "deadline"]


class IllegalTransition(RuntimeError):
    """A step asked to move where its state machine does not go."""


class CallRecord(BaseModel):
    """One bus transaction a step made (a call, one poll, or its compensation)."""

    purpose: CallPurpose
    transaction_id: str
    message_id: str
    idempotency_key: str
    attempt: int
    sent_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    status: int | None = None
    outcome: Literal["succeeded", "failed", "unknown"] | None = None
    error_type: str | None = None


class TimerRecord(BaseModel):
    """A durable timer: the tick that fires it is a delayed message naming `timer_id`."""

    timer_id: str
    step: str
    purpose: TimerPurpose
    due_at: AwareDatetime | None = Field(None, description="simulated instant (clock)")
    wall_due: float | None = Field(None, description="wall instant (epoch seconds)")


class StepState(BaseModel):
    """One step's progress."""

    step: str
    kind: Literal["call", "poll", "wait"]
    service: str | None = None
    system: str = ""
    status: StepStatus = StepStatus.PENDING
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    overdue_at: AwareDatetime | None = None
    attempt: int = 0
    polls: int = 0
    rechecks: int = 0
    deferrals: int = Field(0, description="calls the bus turned away (circuit open, quota): no attempt used")
    compensation_attempt: int = 0
    attempt_base: int = Field(
        0, description="attempts (of the call or compensation under way) made before an operator's resume"
    )
    poll_base: int = Field(0, description="polls made before an operator's resume")
    resumed_at: AwareDatetime | None = Field(None, description="when an operator last resumed it")
    held_by: str | None = Field(None, description="a timer that must fire before the next call")
    wait_key: str | None = None
    event_type: str | None = Field(None, description="a wait: the type of the event that ended it")
    completed_seq: int | None = None
    result: JsonValue = None
    reason: str | None = None
    calls: list[CallRecord] = Field(default_factory=list)

    def move(self, to: StepStatus) -> None:
        """Change status along `STEP_MOVES`, else IllegalTransition."""
        if to not in STEP_MOVES.get(self.status, frozenset()):
            raise IllegalTransition(f"step {self.step!r} cannot go from {self.status} to {to}")
        self.status = to


class Intervention(BaseModel):
    """An operator's action on a parked journey: who (the admin credential), why, on what."""

    action: Literal["resume"]
    by: str
    reason: str
    at: AwareDatetime = Field(description="simulated time (the journey's clock)")
    parked_reason: str | None = Field(None, description="why the journey was parked")
    steps: list[str] = Field(default_factory=list, description="the steps retried")


class JourneyState(BaseModel):
    """Everything needed to resume a journey on any worker."""

    journey_id: str
    kind: str
    dossier_code: str
    client: str
    submitter: str | None = Field(
        None, description="the client that handed the dossier in, when not `client`"
    )
    inputs: dict[str, JsonValue]
    status: JourneyStatus = JourneyStatus.RUNNING
    reason: str | None = None
    received_at: AwareDatetime
    due_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    steps: dict[str, StepState]
    timers: dict[str, TimerRecord] = Field(default_factory=dict)
    seq: int = Field(0, description="counter for completion order and timer ids")
    transitions: int = Field(0, description="state writes so far")
    lease_holder: str | None = None
    lease_until: float = 0.0
    interventions: list[Intervention] = Field(default_factory=list)
    rearm: bool = Field(
        False, description="resumed: the next run re-arms the timers and takes the events parking dropped"
    )

    def concerns(self, client: str) -> bool:
        """Whether `client` acts in the journey or handed its dossier in (it may see it)."""
        return client in (self.client, self.submitter)

    def leased(self, now: float) -> bool:
        """Whether a holder has the journey at wall instant `now` (an unexpired lease)."""
        return self.lease_holder is not None and self.lease_until > now

    @property
    def terminal(self) -> bool:
        """Completed, refused or parked."""
        return self.status in TERMINAL

    def next_seq(self) -> int:
        """The next value of the journey's counter."""
        self.seq += 1
        return self.seq

    def context(self) -> JsonValue:
        """The document a step's pointers read (see journey_paths)."""
        return {
            "journey": {
                "id": self.journey_id,
                "kind": self.kind,
                "dossier_code": self.dossier_code,
                "received_at": self.received_at.isoformat(),
                "due_at": None if self.due_at is None else self.due_at.isoformat(),
            },
            "inputs": self.inputs,
            "steps": {
                name: {"result": step.result, "status": step.status.value}
                | ({} if step.event_type is None else {"event": step.event_type})
                for name, step in self.steps.items()
                if step.status in ANSWERED
            },
        }

    def add_timer(
        self,
        step: str,
        purpose: TimerPurpose,
        *,
        due_at: datetime | None = None,
        wall_due: float | None = None,
    ) -> TimerRecord:
        """Record a new timer for `step` (its tick is the caller's to publish)."""
        timer_id = f"{step}.{purpose}.{self.next_seq()}"
        timer = TimerRecord(timer_id=timer_id, step=step, purpose=purpose, due_at=due_at, wall_due=wall_due)
        self.timers[timer_id] = timer
        return timer

    def drop_timers(self, step: str) -> None:
        """Forget `step`'s timers: their ticks, when they come, find nothing to fire."""
        for timer_id in [found for found, timer in self.timers.items() if timer.step == step]:
            del self.timers[timer_id]

    def finish(self, status: JourneyStatus, at: datetime, reason: str | None = None) -> None:
        """End the journey; its timers are dropped (a late tick finds nothing to fire)."""
        self.status = status
        self.finished_at = at
        if reason is not None:
            self.reason = reason
        self.timers.clear()
