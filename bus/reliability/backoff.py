"""Retry delays: exponential backoff with full jitter, a provider's Retry-After, and broker delay buckets."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable

from bus.reliability.policy import RetryPolicy

# Delays a broker can hold a message for (ms). A few fixed queues beat one queue per distinct delay;
# a delay rounds up to the next bucket, so the wait is never shorter than asked.
DELAY_BUCKETS_MS: tuple[int, ...] = (
    50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500,
    10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
)  # fmt: skip


def bucketed_hold(delay: float) -> float:
    """The longest delay (s) a bucketed broker holds no longer than `delay`: the largest bucket not above
    it, or `delay` itself below the smallest bucket. A timer that must not fire late waits this and, not
    yet due, waits again for the rest (a bucket rounded up would fire it up to two thirds late)."""
    if delay < 0:
        raise ValueError(f"delay must not be negative, got {delay}")
    index = bisect.bisect_right(DELAY_BUCKETS_MS, delay * 1000.0)
    return delay if index == 0 else DELAY_BUCKETS_MS[index - 1] / 1000.0


def doubled_delay(base: float, cap: float, attempt: int) -> float:
    """`base` doubled for each attempt after the first (`attempt` is 1-based), capped at `cap`."""
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    exponent = min(attempt - 1, 62)  # past this the cap applies anyway; avoids float overflow
    return min(cap, base * 2.0**exponent)


def backoff_ceiling(policy: RetryPolicy, attempt: int) -> float:
    """The largest delay after failed attempt `attempt` (1-based): base * 2^(attempt-1), capped."""
    return doubled_delay(policy.base_delay, policy.max_delay, attempt)


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    *,
    retry_after: float | None = None,
    draw: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt `attempt`: full jitter in [0, ceiling], never below the
    provider's `retry_after` (429/503), never above max_delay unless the provider asked for longer."""
    ceiling = backoff_ceiling(policy, attempt)
    delay = ceiling * draw() if policy.jitter else ceiling
    if retry_after is not None and retry_after > delay:
        return retry_after
    return delay


def delay_bucket_ms(delay: float) -> int:
    """The smallest bucket (ms) holding at least `delay` seconds; the largest bucket for longer ones."""
    if delay < 0:
        raise ValueError(f"delay must not be negative, got {delay}")
    index = bisect.bisect_left(DELAY_BUCKETS_MS, delay * 1000.0)
    return DELAY_BUCKETS_MS[min(index, len(DELAY_BUCKETS_MS) - 1)]
