"""What an answer means for its step: the engine's decisions, judged without a bus."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from bus.errors import ErrorBody
from bus.flows.journey_answers import Decision, judge_answer, judge_compensation
from bus.flows.journey_model import CallStep, PollStep
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import StepState
from bus.flows.service_calls import CallResult, Outcome

SETTINGS = JourneySettings(recheck_seconds=1.0, max_rechecks=2, deferral_seconds=5.0, max_deferrals=3)
CALL = {"service": "VN/GOV/HPG/REG/Civil/v1"}
STEP = CallStep.model_validate(
    {"id": "register", "call": CALL, "refuse_if": {"at": "/status", "equals": 6},
     "park_if": {"at": "/status", "equals": 2}, "retry": {"attempts": 3, "delay_seconds": 0.5},
     "compensation": CALL}
)  # fmt: skip
POLL = PollStep.model_validate(
    {"id": "result", "call": CALL, "until": {"at": "/status", "equals": 10}, "max_polls": 3}
)


def result(
    outcome: Outcome, payload: JsonValue = None, error: str | None = None, **more: object
) -> CallResult:
    body = ErrorBody(type=error, message="m") if error else None
    return CallResult(outcome=outcome, transaction_id="t", status=200, payload=payload, error=body, **more)


def state(**fields: object) -> StepState:
    return StepState(step="register", kind="call", **fields)


@pytest.mark.parametrize(
    ("payload", "verdict"),
    [({"status": 4}, "done"), ({"status": 6}, "refuse"), ({"status": 2}, "park")],
)
def test_an_answer_is_judged_by_the_steps_rules(payload: JsonValue, verdict: str) -> None:
    assert judge_answer(STEP, state(attempt=1), result("succeeded", payload), SETTINGS).verdict == verdict


def test_a_poll_goes_on_until_its_status_or_its_last_poll() -> None:
    assert (
        judge_answer(POLL, state(polls=1), result("succeeded", {"status": 9}), SETTINGS).verdict
        == "poll_again"
    )
    assert judge_answer(POLL, state(polls=1), result("succeeded", {"status": 10}), SETTINGS).verdict == "done"
    last = judge_answer(POLL, state(polls=3), result("succeeded", {"status": 9}), SETTINGS)
    assert last.verdict == "park" and "3 polls" in last.reason


def test_retryable_failures_are_tried_again_with_doubling_delays_until_the_attempts_run_out() -> None:
    failure = result("failed", error="Server.Provider.Unavailable", retryable=True)
    assert judge_answer(STEP, state(attempt=1), failure, SETTINGS) == Decision("retry", delay=0.5)
    assert judge_answer(STEP, state(attempt=2), failure, SETTINGS) == Decision("retry", delay=1.0)
    assert judge_answer(STEP, state(attempt=3), failure, SETTINGS).verdict == "park"
    late = result("failed", error="Server.Provider.Unavailable", retryable=True, retry_after=30.0)
    assert judge_answer(STEP, state(attempt=1), late, SETTINGS).delay == 30.0


def test_calls_turned_away_by_the_bus_wait_without_using_attempts() -> None:
    circuit = result("failed", error="Server.Bus.CircuitOpen", retryable=True)
    assert judge_answer(STEP, state(attempt=3, deferrals=2), circuit, SETTINGS) == Decision(
        "defer", delay=5.0
    )
    assert judge_answer(STEP, state(attempt=4, deferrals=3), circuit, SETTINGS).verdict == "park"
    after_deferrals = result("failed", error="Server.Provider.Unavailable", retryable=True)
    assert judge_answer(STEP, state(attempt=4, deferrals=2), after_deferrals, SETTINGS).verdict == "retry"


def test_a_rejection_refuses_and_other_final_failures_park() -> None:
    rejected = judge_answer(
        STEP, state(attempt=1), result("failed", error="Server.Provider.Rejected"), SETTINGS
    )
    assert rejected.verdict == "refuse" and "Server.Provider.Rejected" in rejected.reason
    denied = judge_answer(STEP, state(attempt=1), result("failed", error="Client.AccessDenied"), SETTINGS)
    assert denied.verdict == "park"


def test_an_unanswered_call_is_asked_again_doubling_the_wait_then_parked() -> None:
    unknown = result("unknown", error="Server.Bus.Timeout", retryable=True)
    assert judge_answer(STEP, state(rechecks=0), unknown, SETTINGS) == Decision("recheck", delay=1.0)
    assert judge_answer(STEP, state(rechecks=1), unknown, SETTINGS) == Decision("recheck", delay=2.0)
    assert judge_answer(STEP, state(rechecks=2), unknown, SETTINGS).verdict == "park"


def test_a_compensation_is_tried_again_and_a_final_failure_parks_naming_it() -> None:
    failure = result("failed", error="Server.Provider.Unavailable", retryable=True)
    assert judge_compensation(STEP, state(compensation_attempt=1), failure, SETTINGS).verdict == "retry"
    final = judge_compensation(STEP, state(compensation_attempt=3), failure, SETTINGS)
    assert final.verdict == "park" and final.reason.startswith("compensation of step register failed")
    assert (
        judge_compensation(STEP, state(compensation_attempt=1), result("succeeded"), SETTINGS).verdict
        == "done"
    )
