"""Backoff: exponential ceilings, full-jitter bounds, Retry-After, and the broker's delay buckets."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from bus.reliability.backoff import (
    DELAY_BUCKETS_MS,
    backoff_ceiling,
    bucketed_hold,
    delay_bucket_ms,
    retry_delay,
)
from bus.reliability.policy import RetryPolicy

POLICY = RetryPolicy(max_attempts=8, base_delay=0.1, max_delay=1.0)


def test_ceiling_doubles_per_attempt_up_to_the_cap() -> None:
    assert [backoff_ceiling(POLICY, n) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    assert retry_delay(POLICY, 3, draw=lambda: 0.0) == 0.0
    assert retry_delay(POLICY, 3, draw=lambda: 0.999999) == pytest.approx(0.4, rel=1e-5)
    source = random.Random(7)
    delays = [retry_delay(POLICY, 4, draw=source.random) for _ in range(2000)]
    assert all(0.0 <= d <= 0.8 for d in delays)
    assert min(delays) < 0.08 and max(delays) > 0.72  # spread over the whole range, not bunched


def test_without_jitter_the_delay_is_the_ceiling() -> None:
    steady = POLICY.model_copy(update={"jitter": False})
    assert [retry_delay(steady, n) for n in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])


def test_a_providers_retry_after_is_a_floor_even_above_the_cap() -> None:
    assert retry_delay(POLICY, 1, retry_after=0.5, draw=lambda: 0.5) == 0.5
    assert retry_delay(POLICY, 1, retry_after=30.0, draw=lambda: 0.5) == 30.0
    assert retry_delay(POLICY, 4, retry_after=0.01, draw=lambda: 0.5) == pytest.approx(0.4)


def test_delay_rounds_up_to_a_bucket_never_down() -> None:
    assert delay_bucket_ms(0.0) == DELAY_BUCKETS_MS[0]
    assert delay_bucket_ms(0.05) == 50
    assert delay_bucket_ms(0.051) == 100
    assert delay_bucket_ms(0.9) == 1_000
    assert delay_bucket_ms(10**6) == DELAY_BUCKETS_MS[-1]
    for delay in (0.001, 0.37, 2.2, 44.0):
        assert delay_bucket_ms(delay) >= delay * 1000


def test_a_hold_is_the_largest_bucket_not_above_the_delay_so_a_timer_never_fires_late() -> None:
    assert bucketed_hold(0.03) == 0.03  # below the smallest bucket: itself (the broker rounds it to 50 ms)
    assert bucketed_hold(0.05) == 0.05
    assert bucketed_hold(0.125) == 0.1
    assert bucketed_hold(2.2) == 2.0
    assert bucketed_hold(10**6) == DELAY_BUCKETS_MS[-1] / 1000
    for delay in (0.06, 0.37, 2.2, 44.0, 4_000.0):
        held = bucketed_hold(delay)
        assert held <= delay and delay_bucket_ms(held) == held * 1000  # a bucket, never past the delay
    with pytest.raises(ValueError, match="negative"):
        bucketed_hold(-0.1)


def test_bad_policies_and_arguments_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_delay"):
        RetryPolicy(base_delay=2.0, max_delay=1.0)
    with pytest.raises(ValidationError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="attempt"):
        backoff_ceiling(POLICY, 0)
    with pytest.raises(ValueError, match="negative"):
        delay_bucket_ms(-0.1)
