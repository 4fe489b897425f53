"""The Clock contract, written once and run on the real, compressed and manual clocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bus.flows.clock import Clock, RealClock, ScheduledCall
from bus.flows.compressed_clock import CompressedClock, WorkingDayPace
from bus.flows.manual_clock import ManualClock
from vn_calendar import VIETNAM_TZ, NaiveDatetimeError, WorkingCalendar

# generous: the wall-driven clocks must finish a wait of ~20 ms of wall time well within this
SETTLE_S = 5.0


@dataclass
class ClockCase:
    """A clock, a short span of its simulated time, and how a test makes that time pass."""

    clock: Clock
    span: timedelta
    pass_time: Callable[[datetime], Awaitable[None]]


async def _wait_for_wall(_: datetime) -> None:
    """Wall-driven clocks: time passes by itself."""


def _real() -> ClockCase:
    return ClockCase(RealClock(), timedelta(milliseconds=20), _wait_for_wall)


def _compressed() -> ClockCase:
    # 8 office hours in 4.8 s wall: 1 simulated minute = 10 ms wall; started inside office hours
    pace = WorkingDayPace(WorkingCalendar(), working_day_seconds=4.8, off_hours_seconds=0.01)
    clock = CompressedClock(pace, sim_epoch=datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ))
    return ClockCase(clock, timedelta(minutes=2), _wait_for_wall)


def _manual() -> ClockCase:
    clock = ManualClock(datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ))
    return ClockCase(clock, timedelta(days=3), clock.advance_to)


@pytest.fixture(params=[_real, _compressed, _manual], ids=["real", "compressed", "manual"])
async def case(request: pytest.FixtureRequest) -> AsyncIterator[ClockCase]:
    yield request.param()


def test_every_clock_keeps_the_protocol(case: ClockCase) -> None:
    assert isinstance(case.clock, Clock)


def test_now_is_timezone_aware(case: ClockCase) -> None:
    assert case.clock.now().utcoffset() == timedelta(hours=7)


async def test_a_sleeper_wakes_once_its_instant_is_reached(case: ClockCase) -> None:
    target = case.clock.now() + case.span
    sleeper = asyncio.create_task(case.clock.sleep_until(target))
    await asyncio.sleep(0)
    assert not sleeper.done()
    await case.pass_time(target)
    await asyncio.wait_for(sleeper, SETTLE_S)
    assert case.clock.now() >= target


async def test_sleep_for_a_span_ends_after_it(case: ClockCase) -> None:
    start = case.clock.now()
    sleeper = asyncio.create_task(case.clock.sleep(case.span))
    await asyncio.sleep(0)
    await case.pass_time(start + case.span)
    await asyncio.wait_for(sleeper, SETTLE_S)
    assert case.clock.now() >= start + case.span


async def test_sleeping_until_a_past_instant_returns_at_once(case: ClockCase) -> None:
    await asyncio.wait_for(case.clock.sleep_until(case.clock.now() - timedelta(hours=1)), SETTLE_S)
    await asyncio.wait_for(case.clock.sleep(timedelta(0)), SETTLE_S)


async def test_a_scheduled_callback_runs_once_at_its_instant_and_a_cancelled_one_never(
    case: ClockCase,
) -> None:
    target = case.clock.now() + case.span
    seen: list[datetime] = []
    fired = asyncio.Event()

    def record(instant: datetime) -> None:
        seen.append(instant)
        fired.set()

    kept = case.clock.call_at(target, lambda: record(case.clock.now()))
    dropped = case.clock.call_at(target, lambda: record(datetime.min))
    assert isinstance(kept, ScheduledCall)
    assert kept.when == target
    dropped.cancel()
    assert dropped.cancelled() and not kept.cancelled()
    await case.pass_time(target)
    await asyncio.wait_for(fired.wait(), SETTLE_S)
    await asyncio.sleep(0.05)  # a doubled or cancelled call would have run by now
    assert len(seen) == 1
    assert seen[0] >= target


async def test_wall_seconds_until_a_reached_instant_is_zero(case: ClockCase) -> None:
    assert case.clock.wall_seconds_until(case.clock.now() - timedelta(seconds=1)) == 0.0


def test_naive_instants_are_refused(case: ClockCase) -> None:
    naive = datetime(2026, 12, 7, 9)
    with pytest.raises(NaiveDatetimeError):
        case.clock.wall_seconds_until(naive)


async def test_naive_instants_are_refused_by_sleep_and_call_at(case: ClockCase) -> None:
    naive = datetime(2026, 12, 7, 9)
    with pytest.raises(NaiveDatetimeError):
        await case.clock.sleep_until(naive)
    with pytest.raises(NaiveDatetimeError):
        case.clock.call_at(naive, lambda: None)
