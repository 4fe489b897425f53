"""A clock whose simulated time runs faster than the wall's, shared by every process of a deployment.

Simulated time is cut into stretches by a `Pace`; each stretch ends at a simulated instant and costs a
number of wall seconds, and time runs linearly inside it. `WorkingDayPace` makes an office window of a
working day cost its share of `working_day_seconds` (8 office hours in, say, 5 s), and every stretch
outside office time (lunch, a night, a weekend, Tết) cost the same `off_hours_seconds`, however long it
is: non-working time is skipped fast, so a 10-working-day procedure runs in about a minute
(10 x 5 s + 20 gaps x 0.25 s = 55 s). `UniformPace` divides every stretch by one factor.

The mapping is anchored at an epoch: simulated `sim_epoch` is wall `wall_epoch`. Processes given the
same epochs and pace read the same simulated time (within their clocks' skew), so a gateway and its
workers agree. Before the wall epoch, the simulated time stays at `sim_epoch`; it never runs backwards,
even if the wall clock is stepped back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bus.flows.clock import ScheduledCall, SleepingCall
from vn_calendar import WorkingCalendar, require_aware


class Pace(Protocol):
    """How simulated time maps onto wall time, one stretch at a time."""

    def stretch_from(self, start: datetime) -> tuple[datetime, float]:
        """The simulated end of the stretch beginning at `start` (after it) and its cost in wall seconds."""
        ...


class UniformPace:
    """Every simulated second costs 1/factor of a wall second."""

    _STRETCH = timedelta(hours=1)

    def __init__(self, factor: float) -> None:
        """`factor`: simulated seconds per wall second (> 0)."""
        if not factor > 0:
            raise ValueError(f"a compression factor must be > 0, got {factor!r}")
        self.factor = factor

    def stretch_from(self, start: datetime) -> tuple[datetime, float]:
        """An hour of simulated time."""
        return start + self._STRETCH, self._STRETCH.total_seconds() / self.factor


class WorkingDayPace:
    """Office time at `working_day_seconds` per working day; each gap between office windows (lunch,
    night, weekend, holiday) in `off_hours_seconds`."""

    def __init__(
        self, calendar: WorkingCalendar, working_day_seconds: float, off_hours_seconds: float
    ) -> None:
        """`working_day_seconds` > 0; `off_hours_seconds` >= 0 (0 jumps over non-working time)."""
        if not working_day_seconds > 0:
            raise ValueError(f"working_day_seconds must be > 0, got {working_day_seconds!r}")
        if not off_hours_seconds >= 0:
            raise ValueError(f"off_hours_seconds must be >= 0, got {off_hours_seconds!r}")
        self.calendar = calendar
        self.working_day_seconds = working_day_seconds
        self.off_hours_seconds = off_hours_seconds

    def stretch_from(self, start: datetime) -> tuple[datetime, float]:
        """The rest of the office window `start` is in, or the whole gap to the next opening."""
        window = self.calendar.office_window_at(start)
        if window is None:
            return self.calendar.next_office_opening(start), self.off_hours_seconds
        _, closes = window
        share = (closes - start) / self.calendar.working_day_length
        return closes, share * self.working_day_seconds


class CompressedClock:
    """Simulated time driven by the wall clock through a `Pace` (see the module docstring)."""

    def __init__(
        self,
        pace: Pace,
        *,
        sim_epoch: datetime,
        wall_epoch: float | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """`wall_epoch`: POSIX seconds at which simulated time is `sim_epoch` (default: now);
        `wall`: the wall clock read (injected by tests)."""
        self._pace = pace
        self._wall = wall
        self._sim_epoch = require_aware(sim_epoch, "sim_epoch")
        self._wall_epoch = wall() if wall_epoch is None else wall_epoch
        # the start of the stretch the simulated time was last seen in; it only moves forward
        self._mark_sim = self._sim_epoch
        self._mark_wall = 0.0
        self._seen = 0.0

    def _elapsed(self) -> float:
        # never less than already seen: a wall clock stepped back (NTP) must not turn simulated time back
        self._seen = max(self._seen, self._wall() - self._wall_epoch)
        return self._seen

    def _catch_up(self, elapsed: float) -> tuple[datetime, float]:
        """Move the mark to the stretch containing `elapsed` wall seconds; return that stretch."""
        while True:
            end, cost = self._pace.stretch_from(self._mark_sim)
            if self._mark_wall + cost > elapsed:
                return end, cost
            self._mark_sim, self._mark_wall = end, self._mark_wall + cost

    def now(self) -> datetime:
        """The simulated instant the wall clock maps to now."""
        elapsed = self._elapsed()
        end, cost = self._catch_up(elapsed)
        return self._mark_sim + (end - self._mark_sim) * ((elapsed - self._mark_wall) / cost)

    def wall_seconds_until(self, when: datetime) -> float:
        """Wall seconds until the simulated time reaches `when` (0.0 when it has)."""
        require_aware(when, "when")
        elapsed = self._elapsed()
        if when <= self.now():
            return 0.0
        sim, wall = self._mark_sim, self._mark_wall
        while True:
            end, cost = self._pace.stretch_from(sim)
            if end >= when:
                return wall + cost * ((when - sim) / (end - sim)) - elapsed
            sim, wall = end, wall + cost

    async def sleep(self, delay: timedelta) -> None:
        """Sleep for `delay` of simulated time."""
        await self.sleep_until(self.now() + delay)

    async def sleep_until(self, when: datetime) -> None:
        """Sleep until the simulated time reaches `when`."""
        # checked again after each sleep: the event loop's timer and the wall clock may disagree a little
        wait = self.wall_seconds_until(when)
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.wall_seconds_until(when)

    def call_at(self, when: datetime, callback: Callable[[], object]) -> ScheduledCall:
        """Run `callback` once the simulated time reaches `when`."""
        return SleepingCall(self, when, callback)
