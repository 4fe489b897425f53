"""What the mocks send on their own (progress reports, webhooks, payment confirmations): bounded retries
with exponential backoff and jitter, and the background tasks that send them until the mock closes."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)


class Delivery(Enum):
    """How one message fared: sent, refused for good (not retried), or failed (retried)."""

    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n (n ≥ 1), backoff_s × 2^(n-1) × jitter in [0.5, 1.5),
    all times `time_scale` (a mock's compression of simulated time)."""

    attempts: int
    backoff_s: float
    time_scale: float = 1.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before try number `retry` (counted from 0)."""
        delay: float = self.backoff_s * 2 ** (retry - 1) * rng.uniform(0.5, 1.5) * self.time_scale
        return delay


async def deliver_with_retries(
    attempt: Callable[[], Awaitable[Delivery]],
    policy: RetryPolicy,
    rng: random.Random,
    *,
    on_attempt: Callable[[int], None] | None = None,
) -> Delivery:
    """Call `attempt` until it is not FAILED or the policy's tries are spent; the last outcome."""
    for number in range(policy.attempts):
        if number:
            await asyncio.sleep(policy.delay(number, rng))
        if on_attempt is not None:
            on_attempt(number)
        outcome = await attempt()
        if outcome is not Delivery.FAILED:
            return outcome
    return Delivery.FAILED


async def every(interval_s: float, action: Callable[[], None]) -> None:
    """Run `action` every `interval_s` seconds, until cancelled."""
    while True:
        await asyncio.sleep(interval_s)
        action()


class BackgroundTasks:
    """The tasks a mock runs beside its routes; closing cancels them and waits for them to end."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[asyncio.Task[None]]:
        return iter(list(self._tasks))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background; a finished task is forgotten, so the set stays bounded."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Cancel every task and wait for all to end; a task that had failed is logged, not raised."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("background task had failed: %r", result)
