"""The mocks' shared outbound sending: bounded retries with backoff and jitter, background tasks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import pytest

from services.outbound import BackgroundTasks, Delivery, RetryPolicy, deliver_with_retries

NO_WAIT = RetryPolicy(attempts=4, backoff_s=0.0)


def _scripted(*outcomes: Delivery) -> tuple[list[int], Callable[[], Awaitable[Delivery]]]:
    calls: list[int] = []
    remaining = list(outcomes)

    async def attempt() -> Delivery:
        calls.append(len(calls))
        return remaining.pop(0)

    return calls, attempt


async def test_failed_attempts_are_retried_until_one_is_sent() -> None:
    calls, attempt = _scripted(Delivery.FAILED, Delivery.FAILED, Delivery.SENT)
    assert await deliver_with_retries(attempt, NO_WAIT, random.Random(1)) is Delivery.SENT
    assert calls == [0, 1, 2]


async def test_a_rejection_is_final_and_not_retried() -> None:
    calls, attempt = _scripted(Delivery.REJECTED, Delivery.SENT)
    assert await deliver_with_retries(attempt, NO_WAIT, random.Random(1)) is Delivery.REJECTED
    assert calls == [0]


async def test_tries_stop_at_the_policy_bound_and_every_try_is_announced() -> None:
    seen: list[int] = []
    calls, attempt = _scripted(*[Delivery.FAILED] * 10)
    outcome = await deliver_with_retries(attempt, NO_WAIT, random.Random(1), on_attempt=seen.append)
    assert outcome is Delivery.FAILED
    assert calls == seen == [0, 1, 2, 3]


@pytest.mark.parametrize("retry", [1, 2, 3])
def test_delay_doubles_per_retry_within_the_jitter_band_and_scales(retry: int) -> None:
    policy = RetryPolicy(attempts=4, backoff_s=0.2, time_scale=0.5)
    base = 0.2 * 2 ** (retry - 1) * 0.5
    delays = [policy.delay(retry, random.Random(seed)) for seed in range(50)]
    assert all(0.5 * base <= delay < 1.5 * base for delay in delays)
    assert len(set(delays)) > 1  # jittered, not a fixed step


async def test_closing_cancels_running_tasks_and_finished_ones_are_forgotten() -> None:
    tasks = BackgroundTasks()
    tasks.spawn(asyncio.sleep(0))
    tasks.spawn(asyncio.sleep(60))
    await asyncio.sleep(0.01)
    running = list(tasks)
    assert len(tasks) == 1
    await asyncio.wait_for(tasks.aclose(), timeout=2)
    assert all(task.cancelled() for task in running)
