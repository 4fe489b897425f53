"""The clock a journey reads and sleeps on, so simulated time can run faster than the wall's.

Three clocks keep the one `Clock` contract:
- `RealClock`: the wall clock in Asia/Ho_Chi_Minh;
- `CompressedClock` (compressed_clock.py): simulated time mapped onto the wall clock, a working day in a
  few seconds and nights, weekends and holidays skipped in a fraction of a second;
- `ManualClock` (manual_clock.py): time moves only when a test advances it, releasing sleepers in order.

`now()` is always timezone-aware. `call_at` schedules a callback in simulated time (in-process, not
durable); `wall_seconds_until` tells how long the wall clock must run until a simulated instant, which
is what a durable timer (a broker's delayed message) needs, or None for a clock the wall does not drive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import ClassVar, Protocol, runtime_checkable

from vn_calendar import VIETNAM_TZ, require_aware


@runtime_checkable
class ScheduledCall(Protocol):
    """A callback waiting for its simulated instant."""

    @property
    def when(self) -> datetime:
        """The simulated instant it runs at."""
        ...

    def cancel(self) -> None:
        """Stop it from running (no effect once it ran)."""
        ...

    def cancelled(self) -> bool:
        """Whether `cancel` stopped it."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Simulated time: read it, sleep on it, schedule on it."""

    def now(self) -> datetime:
        """The current simulated instant, timezone-aware."""
        ...

    async def sleep(self, delay: timedelta) -> None:
        """Return once `delay` of simulated time has passed (at once when it is not positive)."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once the simulated time is at least `when` (at once when it already is)."""
        ...

    def call_at(self, when: datetime, callback: Callable[[], object]) -> ScheduledCall:
        """Run `callback` once the simulated time reaches `when` (in this process, not durable)."""
        ...

    def wall_seconds_until(self, when: datetime) -> float | None:
        """Wall-clock seconds until the simulated time reaches `when` (0.0 when it has), or None for a
        clock that the wall does not move (a manual one)."""
        ...


class SleepingCall:
    """A `ScheduledCall` run by a task that sleeps on its clock, for clocks the wall drives."""

    _running: ClassVar[set[asyncio.Task[None]]] = set()  # strong references: a pending task is not collected

    def __init__(self, clock: Clock, when: datetime, callback: Callable[[], object]) -> None:
        """Start the task in the running event loop."""
        self._when = require_aware(when, "when")
        self._callback = callback
        self._cancelled = False
        self._task = asyncio.get_running_loop().create_task(self._run(clock))
        self._running.add(self._task)
        self._task.add_done_callback(self._running.discard)

    @property
    def when(self) -> datetime:
        """The simulated instant it runs at."""
        return self._when

    def cancel(self) -> None:
        """Stop it from running (no effect once it ran)."""
        if not self._task.done():
            self._cancelled = True
            self._task.cancel()

    def cancelled(self) -> bool:
        """Whether `cancel` stopped it."""
        return self._cancelled

    async def _run(self, clock: Clock) -> None:
        await clock.sleep_until(self._when)
        try:
            self._callback()
        except Exception as error:
            # as for a callback of loop.call_at: reported to the loop's handler, not lost in the task
            asyncio.get_running_loop().call_exception_handler(
                {"message": f"clock callback due at {self._when.isoformat()} failed", "exception": error}
            )


class RealClock:
    """The wall clock, in Vietnam's timezone."""

    def __init__(self, tz: tzinfo = VIETNAM_TZ) -> None:
        """`tz` is the timezone `now()` answers in."""
        self._tz = tz

    def now(self) -> datetime:
        """The current wall-clock instant."""
        return datetime.now(self._tz)

    async def sleep(self, delay: timedelta) -> None:
        """Sleep for `delay` of wall time."""
        await self.sleep_until(self.now() + delay)

    async def sleep_until(self, when: datetime) -> None:
        """Sleep until the wall clock reads `when`."""
        require_aware(when, "when")
        # checked again after each sleep: the event loop's timer and the wall clock may disagree a little
        wait = self.wall_seconds_until(when)
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.wall_seconds_until(when)

    def call_at(self, when: datetime, callback: Callable[[], object]) -> ScheduledCall:
        """Run `callback` at `when`."""
        return SleepingCall(self, when, callback)

    def wall_seconds_until(self, when: datetime) -> float:
        """Seconds from now until `when` (0.0 when past)."""
        return max(0.0, (require_aware(when, "when") - self.now()).total_seconds())
