"""A clock that moves only when a test moves it, so a 10-working-day journey runs in milliseconds.

`advance(delta)` / `advance_to(when)` walk through the sleepers and scheduled callbacks due by then in
order of due time (ties in the order they were registered): the clock is set to each one's due time,
it is released, and the event loop gets `settle_rounds` passes so the woken task runs until it waits on
something else (which may be this clock again: what it schedules within the span is released too).
Then the clock stands at the target. Nothing depends on the wall clock, so runs are deterministic.
A callback that raises stops the advance at its due time and the error reaches the test.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bus.flows.clock import ScheduledCall
from vn_calendar import require_aware


@dataclass(order=True)
class _Entry:
    """One sleeper or callback in the queue, ordered by (when, seq)."""

    when: datetime
    seq: int
    waiter: asyncio.Future[None] | None = field(compare=False)
    callback: Callable[[], object] | None = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class ManualCall:
    """A callback scheduled on a ManualClock."""

    def __init__(self, entry: _Entry) -> None:
        """Wrap the queue entry."""
        self._entry = entry

    @property
    def when(self) -> datetime:
        """The simulated instant it runs at."""
        return self._entry.when

    def cancel(self) -> None:
        """Stop it from running (no effect once it ran)."""
        self._entry.cancelled = True

    def cancelled(self) -> bool:
        """Whether `cancel` was called."""
        return self._entry.cancelled


class ManualClock:
    """Simulated time that stands still until `advance` or `advance_to`."""

    def __init__(self, start: datetime, *, settle_rounds: int = 20) -> None:
        """`start`: the initial instant; `settle_rounds`: event-loop passes given to each released task."""
        if settle_rounds < 1:
            raise ValueError(f"settle_rounds must be >= 1, got {settle_rounds!r}")
        self._now = require_aware(start, "start")
        self._settle_rounds = settle_rounds
        self._queue: list[_Entry] = []
        self._seq = itertools.count()
        self._advancing = False

    def now(self) -> datetime:
        """The instant the clock stands at."""
        return self._now

    @property
    def pending(self) -> int:
        """Sleepers and callbacks still waiting (cancelled ones not counted)."""
        return sum(1 for entry in self._queue if not self._dropped(entry))

    @property
    def next_due(self) -> datetime | None:
        """When the earliest waiting sleeper or callback is due, or None."""
        live = [entry.when for entry in self._queue if not self._dropped(entry)]
        return min(live, default=None)

    async def sleep(self, delay: timedelta) -> None:
        """Wait until the clock has been advanced by `delay`."""
        await self.sleep_until(self._now + delay)

    async def sleep_until(self, when: datetime) -> None:
        """Wait until the clock has been advanced to `when` (return at once if it is there)."""
        require_aware(when, "when")
        if when <= self._now:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._push(when, waiter=waiter)
        await waiter

    def call_at(self, when: datetime, callback: Callable[[], object]) -> ScheduledCall:
        """Run `callback` when an advance reaches `when` (a past `when`: at the next advance)."""
        return ManualCall(self._push(require_aware(when, "when"), callback=callback))

    def wall_seconds_until(self, when: datetime) -> float | None:
        """0.0 when `when` has been reached; None otherwise (no wall time moves this clock)."""
        return 0.0 if require_aware(when, "when") <= self._now else None

    async def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`, releasing what falls due on the way."""
        if delta < timedelta():
            raise ValueError(f"a clock does not go back: advance({delta})")
        await self.advance_to(self._now + delta)

    async def advance_to(self, when: datetime) -> None:
        """Move the clock forward to `when`, releasing what falls due on the way, in order."""
        require_aware(when, "when")
        if when < self._now:
            raise ValueError(f"a clock does not go back: {self._now.isoformat()} -> {when.isoformat()}")
        if self._advancing:
            raise RuntimeError("the clock is already being advanced (advance called from a released task?)")
        self._advancing = True
        try:
            while self._queue and self._queue[0].when <= when:
                entry = heapq.heappop(self._queue)
                if self._dropped(entry):
                    continue
                self._now = max(self._now, entry.when)
                self._release(entry)
                await self._settle()
            self._now = when
            await self._settle()
        finally:
            self._advancing = False

    def _push(
        self,
        when: datetime,
        *,
        waiter: asyncio.Future[None] | None = None,
        callback: Callable[[], object] | None = None,
    ) -> _Entry:
        entry = _Entry(when, next(self._seq), waiter, callback)
        heapq.heappush(self._queue, entry)
        return entry

    @staticmethod
    def _dropped(entry: _Entry) -> bool:
        # a sleeping task that was cancelled leaves its future cancelled: nothing to wake
        return entry.cancelled or (entry.waiter is not None and entry.waiter.done())

    def _release(self, entry: _Entry) -> None:
        if entry.waiter is not None:
            entry.waiter.set_result(None)
        elif entry.callback is not None:
            entry.callback()

    async def _settle(self) -> None:
        for _ in range(self._settle_rounds):
            await asyncio.sleep(0)
