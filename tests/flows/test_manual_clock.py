"""ManualClock: time moves only when the test moves it, releasing sleepers in order, deterministically."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bus.flows.manual_clock import ManualClock
from vn_calendar import VIETNAM_TZ, WorkingCalendar

START = datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ)
HOUR = timedelta(hours=1)


async def test_time_stands_still_until_advanced() -> None:
    clock = ManualClock(START)
    sleeper = asyncio.create_task(clock.sleep(HOUR))
    for _ in range(50):
        await asyncio.sleep(0)
    assert clock.now() == START
    assert not sleeper.done()
    assert clock.pending == 1
    assert clock.next_due == START + HOUR
    await clock.advance(HOUR)
    assert sleeper.done()
    assert clock.pending == 0 and clock.next_due is None


async def test_sleepers_are_released_in_due_order_each_seeing_its_own_instant() -> None:
    clock = ManualClock(START)
    woken: list[tuple[str, datetime]] = []

    async def sleeper(name: str, delay: timedelta) -> None:
        await clock.sleep(delay)
        woken.append((name, clock.now()))

    tasks = [
        asyncio.create_task(sleeper(name, delay))
        for name, delay in [("c", 3 * HOUR), ("a", HOUR), ("b1", 2 * HOUR), ("b2", 2 * HOUR)]
    ]
    await asyncio.sleep(0)
    await clock.advance(2 * HOUR)
    assert woken == [("a", START + HOUR), ("b1", START + 2 * HOUR), ("b2", START + 2 * HOUR)]
    assert clock.now() == START + 2 * HOUR
    await clock.advance(5 * HOUR)
    assert woken[-1] == ("c", START + 3 * HOUR)
    assert clock.now() == START + 7 * HOUR
    await asyncio.gather(*tasks)


async def test_what_a_woken_task_schedules_within_the_span_is_released_in_the_same_advance() -> None:
    clock = ManualClock(START)
    ticks: list[datetime] = []

    async def every_hour(times: int) -> None:
        for _ in range(times):
            await clock.sleep(HOUR)
            ticks.append(clock.now())

    task = asyncio.create_task(every_hour(5))
    await asyncio.sleep(0)
    await clock.advance(3 * HOUR + timedelta(minutes=30))
    assert ticks == [START + HOUR, START + 2 * HOUR, START + 3 * HOUR]
    await clock.advance(2 * HOUR)
    assert task.done()
    assert ticks[-1] == START + 5 * HOUR


async def test_a_ten_working_day_procedure_runs_without_waiting() -> None:
    calendar = WorkingCalendar()
    clock = ManualClock(datetime(2026, 2, 10, 9, tzinfo=VIETNAM_TZ))
    due = calendar.add_working_days(clock.now(), 10)
    finished: list[datetime] = []

    async def procedure() -> None:
        await clock.sleep_until(due)
        finished.append(clock.now())

    task = asyncio.create_task(procedure())
    await asyncio.sleep(0)
    await clock.advance(timedelta(days=30))
    assert finished == [datetime(2026, 3, 3, 17, tzinfo=VIETNAM_TZ)]
    assert task.done()


async def test_a_cancelled_sleeper_is_skipped() -> None:
    clock = ManualClock(START)
    sleeper = asyncio.create_task(clock.sleep(HOUR))
    await asyncio.sleep(0)
    sleeper.cancel()
    await asyncio.sleep(0)
    assert clock.pending == 0
    await clock.advance(2 * HOUR)
    assert sleeper.cancelled()


async def test_a_callback_scheduled_in_the_past_runs_at_the_next_advance() -> None:
    clock = ManualClock(START)
    ran: list[datetime] = []
    clock.call_at(START - HOUR, lambda: ran.append(clock.now()))
    assert ran == []
    await clock.advance(timedelta(0))
    assert ran == [START]


async def test_a_failing_callback_stops_the_advance_at_its_instant() -> None:
    clock = ManualClock(START)

    def fail() -> None:
        raise RuntimeError("callback failed")

    clock.call_at(START + HOUR, fail)
    later = clock.call_at(START + 2 * HOUR, lambda: None)
    with pytest.raises(RuntimeError, match="callback failed"):
        await clock.advance(3 * HOUR)
    assert clock.now() == START + HOUR
    assert clock.pending == 1 and not later.cancelled()
    await clock.advance(HOUR)  # the clock is usable again


async def test_wall_seconds_until_is_unknown_before_the_instant() -> None:
    clock = ManualClock(START)
    assert clock.wall_seconds_until(START + HOUR) is None
    assert clock.wall_seconds_until(START) == 0.0


async def test_the_clock_does_not_go_back() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="does not go back"):
        await clock.advance(-HOUR)
    with pytest.raises(ValueError, match="does not go back"):
        await clock.advance_to(START - HOUR)
    assert clock.now() == START


async def test_advancing_from_a_released_task_is_refused() -> None:
    clock = ManualClock(START)
    errors: list[BaseException] = []

    async def meddler() -> None:
        await clock.sleep(HOUR)
        try:
            await clock.advance(HOUR)
        except RuntimeError as error:
            errors.append(error)

    task = asyncio.create_task(meddler())
    await asyncio.sleep(0)
    await clock.advance(HOUR)
    await task
    assert len(errors) == 1 and "already being advanced" in str(errors[0])


def test_settle_rounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="settle_rounds"):
        ManualClock(START, settle_rounds=0)
