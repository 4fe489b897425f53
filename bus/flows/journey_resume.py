"""An operator's resume of a parked journey, as a change of its state (the Journeys API writes it).

The step that parked the journey (`failed`) is tried again with a fresh budget: a call or a
compensation with the next attempt (new message and transaction ids under the same idempotency key,
so it reaches the provider again, while its retries count from one), a poll with a new round of
polls, a wait waiting again (its time-out counted from the resume). The journey goes back to where it
parked: running, or compensating when one of its steps had refused it (only a refusal starts the
compensations). Its deadlines stay as they were: the time parked counts against them. Timers and
events dropped while it was parked are the next run's to restore (`JourneyState.rearm`).
"""

from __future__ import annotations

from datetime import datetime

from bus.flows.journey_state import Intervention, JourneyState, JourneyStatus, StepState, StepStatus


class NotResumable(ValueError):
    """The parked journey has a step that a resume cannot retry."""


def resumed(state: JourneyState, *, by: str, reason: str, now: datetime) -> JourneyState:
    """A copy of the parked `state` resumed by `by` for `reason` at simulated time `now`, the action in
    its interventions; NotResumable when a failed step cannot be retried (nothing changed)."""
    assert state.status == JourneyStatus.PARKED
    after = state.model_copy(deep=True)
    failed = [step for step in after.steps.values() if step.status == StepStatus.FAILED]
    refused = [step for step in after.steps.values() if step.status == StepStatus.REFUSED]
    for step in failed:
        _retry(step, now)
    after.interventions.append(
        Intervention(
            action="resume", by=by, reason=reason, at=now, parked_reason=state.reason,
            steps=[step.step for step in failed],
        )
    )  # fmt: skip
    after.status = JourneyStatus.COMPENSATING if refused else JourneyStatus.RUNNING
    after.reason = refused[0].reason if refused else None
    after.finished_at = None
    after.rearm = True
    after.lease_holder, after.lease_until = None, 0.0
    return after


def _retry(step: StepState, now: datetime) -> None:
    """Put a failed step back to work with a fresh attempt."""
    if step.compensation_attempt > 0:  # its compensation failed (it had been done): when, is kept
        step.move(StepStatus.COMPENSATING)
        step.attempt_base = step.compensation_attempt
        step.compensation_attempt += 1
    elif step.kind == "wait":
        if step.wait_key is None:
            raise NotResumable(f"step {step.step} never began waiting: {step.reason}")
        step.move(StepStatus.WAITING)
        step.finished_at = None
    else:
        step.move(StepStatus.RUNNING)
        if step.kind == "poll":
            step.polls += 1
            step.poll_base = step.polls - 1
            step.attempt, step.attempt_base = 1, 0
        else:
            step.attempt_base = step.attempt
            step.attempt += 1
        step.finished_at = None
    step.deferrals = step.rechecks = 0
    step.held_by = None
    step.reason = None
    step.resumed_at = now
