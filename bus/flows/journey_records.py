"""What a journey looks like from outside: its state with each deadline judged (Decision 766 verdicts)
as of the moment it is read. Verdicts are derived here, never stored.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, JsonValue

from bus.flows.journey_state import (
    CallRecord,
    Intervention,
    JourneyState,
    JourneyStatus,
    StepState,
    StepStatus,
)
from bus.flows.timeliness import Verdict, judge

LATE_VERDICTS = frozenset({Verdict.LATE, Verdict.OPEN_LATE})


class StepRecord(BaseModel):
    """One step: the system and service it reached, how it went, when, its deadline and verdict."""

    step: str
    kind: str
    system: str
    service: str | None
    status: StepStatus
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    due_at: AwareDatetime | None
    overdue_at: AwareDatetime | None
    verdict: Verdict | None
    transaction_ids: list[str]
    calls: list[CallRecord]
    result: JsonValue
    event: str | None = None  # a wait: the type of the event that ended it
    reason: str | None
    resumed_at: AwareDatetime | None = None  # when an operator last resumed it


class JourneyRecord(BaseModel):
    """One journey as of `as_of`."""

    journey_id: str
    kind: str
    dossier_code: str
    client: str
    submitter: str | None
    status: JourneyStatus
    reason: str | None
    inputs: dict[str, JsonValue]
    received_at: AwareDatetime
    due_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    verdict: Verdict | None
    late: bool
    steps: list[StepRecord]
    interventions: list[Intervention] = []  # operators' actions (resumes), oldest first
    as_of: AwareDatetime


def _answered(status: StepStatus) -> bool:
    # A step that ended without an answer (cancelled, failed) is judged as open at the journey's end.
    return status in (
        StepStatus.DONE,
        StepStatus.REFUSED,
        StepStatus.SKIPPED,
        StepStatus.COMPENSATING,
        StepStatus.COMPENSATED,
    )


def _step_record(step: StepState, seen_at: datetime) -> StepRecord:
    finished = step.finished_at if _answered(step.status) else None
    return StepRecord(
        step=step.step,
        kind=step.kind,
        system=step.system,
        service=step.service,
        status=step.status,
        started_at=step.started_at,
        finished_at=step.finished_at,
        due_at=step.due_at,
        overdue_at=step.overdue_at,
        verdict=None if step.due_at is None else judge(step.due_at, finished, seen_at),
        transaction_ids=[call.transaction_id for call in step.calls],
        calls=step.calls,
        result=step.result,
        event=step.event_type,
        reason=step.reason,
        resumed_at=step.resumed_at,
    )


def describe(state: JourneyState, now: datetime) -> JourneyRecord:
    """The record of `state` seen at `now` (steps in their declared order; an ended journey's open
    steps as of its end)."""
    seen_at = state.finished_at if state.finished_at is not None else now
    steps = [_step_record(step, seen_at) for step in state.steps.values()]
    verdict = None if state.due_at is None else judge(state.due_at, state.finished_at, now)
    late = verdict in LATE_VERDICTS or any(step.verdict in LATE_VERDICTS for step in steps)
    return JourneyRecord(
        journey_id=state.journey_id,
        kind=state.kind,
        dossier_code=state.dossier_code,
        client=state.client,
        submitter=state.submitter,
        status=state.status,
        reason=state.reason,
        inputs=state.inputs,
        received_at=state.received_at,
        due_at=state.due_at,
        finished_at=state.finished_at,
        verdict=verdict,
        late=late,
        steps=steps,
        interventions=state.interventions,
        as_of=now,
    )
