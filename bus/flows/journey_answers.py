"""What a call's answer means for its step, decided without touching anything (the run applies it).

An answer is judged by the step's declared rules (refuse_if, park_if, until, on_rejected) and by how
the call fared: unknown (no answer: ask again with the same ids, doubling the wait), turned away by
the bus before any provider saw it (circuit open, quota, full queue: wait, no attempt used), a
retryable failure (another attempt while the step's retry allows), or a final one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bus.errors import CircuitOpen, Overloaded, ProviderRejected, RateLimited
from bus.flows.journey_model import CallStep, PollStep, StepRetry
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import StepState
from bus.flows.service_calls import CallResult

# Failures of calls the bus turned away before any provider saw them.
NOT_CALLED = frozenset({CircuitOpen.type, RateLimited.type, Overloaded.type})

Verdict = Literal["done", "refuse", "park", "retry", "defer", "recheck", "poll_again"]


@dataclass(frozen=True)
class Decision:
    """What to do with the step: `delay` (wall seconds) for retry, defer and recheck."""

    verdict: Verdict
    reason: str = ""
    delay: float = 0.0


def judge_answer(
    spec: CallStep | PollStep, step: StepState, result: CallResult, settings: JourneySettings
) -> Decision:
    """The decision on an answer to the step's own call (or one poll)."""
    if result.outcome == "unknown":
        return _unknown(step, result, settings)
    if result.outcome == "failed":
        again = _again(step, result, step.attempt, spec.retry, settings)
        if again is not None:
            return again
        rejected = result.error is not None and result.error.type == ProviderRejected.type
        verdict: Verdict = "refuse" if rejected and spec.on_rejected == "refuse" else "park"
        return Decision(verdict, f"step {step.step}: {result.error_text}")
    if spec.refuse_if is not None and spec.refuse_if.holds(result.payload):
        return Decision("refuse", f"step {step.step} answered a refusal ({spec.refuse_if.at})")
    if spec.park_if is not None and spec.park_if.holds(result.payload):
        return Decision("park", f"step {step.step} answered {spec.park_if.at}: parked")
    if isinstance(spec, PollStep) and not spec.until.holds(result.payload):
        if spec.max_polls is not None and step.polls - step.poll_base >= spec.max_polls:
            return Decision("park", f"step {step.step}: no result after {step.polls} polls")
        return Decision("poll_again")
    return Decision("done")


def judge_compensation(
    spec: CallStep, step: StepState, result: CallResult, settings: JourneySettings
) -> Decision:
    """The decision on an answer to the step's compensation."""
    if result.outcome == "succeeded":
        return Decision("done")
    if result.outcome == "unknown":
        return _unknown(step, result, settings)
    again = _again(step, result, step.compensation_attempt, spec.retry, settings)
    return again or Decision("park", f"compensation of step {step.step} failed: {result.error_text}")


def _unknown(step: StepState, result: CallResult, settings: JourneySettings) -> Decision:
    if step.rechecks >= settings.max_rechecks:
        tries = step.rechecks + 1
        return Decision(
            "park", f"step {step.step}: outcome unknown after {tries} tries ({result.error_text})"
        )
    # doubled each time: a system down for minutes is not asked every second
    return Decision("recheck", delay=settings.recheck_seconds * 2**step.rechecks)


def _again(
    step: StepState, result: CallResult, attempt: int, retry: StepRetry, settings: JourneySettings
) -> Decision | None:
    if not result.retryable:
        return None
    if result.error is not None and result.error.type in NOT_CALLED:
        # wait at least as long as a circuit stays open; no attempt of the provider was used
        if step.deferrals >= settings.max_deferrals:
            return None
        return Decision("defer", delay=max(settings.deferral_seconds, result.retry_after or 0.0))
    used = attempt - step.deferrals - step.attempt_base  # an operator's resume gives a fresh budget
    if used >= retry.attempts:
        return None
    return Decision("retry", delay=max(retry.delay_seconds * 2 ** (used - 1), result.retry_after or 0.0))
