"""CompressedClock: simulated time mapped onto the wall clock, office time at its pace and every stretch
of non-working time skipped in a fixed fraction of a second. A fake wall clock makes it exact."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from bus.flows.compressed_clock import CompressedClock, UniformPace, WorkingDayPace
from vn_calendar import VIETNAM_TZ, WorkingCalendar

CALENDAR = WorkingCalendar()


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


class FakeWall:
    """A wall clock the test sets (POSIX seconds)."""

    def __init__(self) -> None:
        self.seconds = 1_000_000.0

    def __call__(self) -> float:
        return self.seconds


def hour_per_second(start: datetime, wall: FakeWall, off_hours_seconds: float = 0.5) -> CompressedClock:
    """One office hour per wall second (8 s a working day), each gap in `off_hours_seconds`."""
    pace = WorkingDayPace(CALENDAR, working_day_seconds=8.0, off_hours_seconds=off_hours_seconds)
    return CompressedClock(pace, sim_epoch=start, wall=wall)


@pytest.mark.parametrize(
    ("wall_seconds", "expected"),
    [
        (0.0, at(12, 7, 7, 30)),
        (1.5, at(12, 7, 9)),
        (4.0, at(12, 7, 11, 30)),  # the morning window closes
        (4.25, at(12, 7, 12, 15)),  # half of the lunch gap's 0.5 s: half of its 1.5 h
        (4.5, at(12, 7, 13)),
        (8.5, at(12, 7, 17)),
        (9.0, at(12, 8, 7, 30)),  # the night costs 0.5 s
        (8.5 * 5 + 0.5 * 4, at(12, 11, 17)),  # Friday's close
        (8.5 * 5 + 0.5 * 5, at(12, 14, 7, 30)),  # the whole weekend costs 0.5 s too
    ],
)
def test_office_time_runs_at_its_pace_and_each_gap_in_a_fixed_wall_time(
    wall_seconds: float, expected: datetime
) -> None:
    wall = FakeWall()
    clock = hour_per_second(at(12, 7, 7, 30), wall)
    wall.seconds += wall_seconds
    assert clock.now() == expected


def test_tet_is_skipped_like_one_night() -> None:
    wall = FakeWall()
    clock = hour_per_second(at(2, 13, 16, year=2026), wall)
    wall.seconds += 1.0
    assert clock.now() == at(2, 13, 17, year=2026)
    assert clock.wall_seconds_until(at(2, 23, 7, 30, year=2026)) == pytest.approx(0.5)
    wall.seconds += 0.5
    assert clock.now() == at(2, 23, 7, 30, year=2026)


def test_an_epoch_outside_office_hours_starts_in_a_gap() -> None:
    wall = FakeWall()
    clock = hour_per_second(at(12, 5, 10), wall)  # Saturday
    assert clock.now() == at(12, 5, 10)
    wall.seconds += 0.5
    assert clock.now() == at(12, 7, 7, 30)


def test_wall_seconds_until_is_the_inverse_of_now() -> None:
    wall = FakeWall()
    clock = hour_per_second(at(12, 7, 7, 30), wall)
    wall.seconds += 2.0
    targets = [at(12, 7, 10), at(12, 7, 12), at(12, 9, 14, 45), at(12, 14, 8), at(12, 31, 16, 59)]
    assert clock.wall_seconds_until(at(12, 7, 9)) == 0.0
    now_wall = wall.seconds
    waits = [clock.wall_seconds_until(target) for target in targets]
    assert all(wait > 0 for wait in waits)
    for target, wait in zip(targets, waits, strict=True):  # in time order: the clock only moves forward
        wall.seconds = now_wall + wait
        assert abs(clock.now() - target) <= timedelta(milliseconds=1)


def test_a_ten_working_day_procedure_takes_about_a_minute_at_the_default_pace() -> None:
    wall = FakeWall()
    start = at(12, 7, 7, 30)
    pace = WorkingDayPace(CALENDAR, working_day_seconds=5.0, off_hours_seconds=0.25)
    clock = CompressedClock(pace, sim_epoch=start, wall=wall)
    due = CALENDAR.add_working_days(start, 10)
    assert due == at(12, 21, 17)
    # 11 working days (Mon 7/12 .. Mon 21/12) at 5 s, 11 lunches and 10 nights/weekends at 0.25 s
    assert clock.wall_seconds_until(due) == pytest.approx(11 * 5.0 + 21 * 0.25)


def test_the_simulated_time_stays_at_its_epoch_before_the_wall_epoch() -> None:
    wall = FakeWall()
    pace = WorkingDayPace(CALENDAR, 8.0, 0.5)
    clock = CompressedClock(pace, sim_epoch=at(12, 7, 9), wall_epoch=wall.seconds + 10, wall=wall)
    assert clock.now() == at(12, 7, 9)


def test_processes_sharing_the_epochs_read_the_same_time() -> None:
    wall = FakeWall()
    epoch = wall.seconds
    first = hour_per_second(at(12, 7, 7, 30), wall)
    wall.seconds += 30.0
    pace = WorkingDayPace(CALENDAR, 8.0, 0.5)
    second = CompressedClock(pace, sim_epoch=at(12, 7, 7, 30), wall_epoch=epoch, wall=wall)
    assert first.now() == second.now()


def test_simulated_time_does_not_run_back_when_the_wall_clock_is_stepped_back() -> None:
    wall = FakeWall()
    clock = hour_per_second(at(12, 7, 7, 30), wall)
    wall.seconds += 2.0
    seen = clock.now()
    wall.seconds -= 1.5
    assert clock.now() == seen == at(12, 7, 9, 30)


def test_a_uniform_pace_divides_all_time_by_its_factor() -> None:
    wall = FakeWall()
    clock = CompressedClock(UniformPace(60.0), sim_epoch=at(12, 5, 22), wall=wall)
    wall.seconds += 90.0
    assert clock.now() == at(12, 5, 23, 30)
    assert clock.wall_seconds_until(at(12, 6, 0, 30)) == pytest.approx(60.0)


def test_a_zero_off_hours_cost_jumps_over_non_working_time() -> None:
    wall = FakeWall()
    clock = hour_per_second(at(12, 11, 16), wall, off_hours_seconds=0.0)
    wall.seconds += 1.0
    assert clock.now() == at(12, 14, 7, 30)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: WorkingDayPace(CALENDAR, 0.0, 0.5), "working_day_seconds"),
        (lambda: WorkingDayPace(CALENDAR, 5.0, -1.0), "off_hours_seconds"),
        (lambda: UniformPace(0.0), "factor"),
    ],
)
def test_a_pace_that_would_stop_or_reverse_time_is_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


async def test_on_the_real_wall_a_working_hour_passes_in_its_share_of_the_day() -> None:
    # 8 office hours in 0.8 s: an office hour in 0.1 s of real time
    pace = WorkingDayPace(CALENDAR, working_day_seconds=0.8, off_hours_seconds=0.05)
    clock = CompressedClock(pace, sim_epoch=at(12, 7, 9))
    target = at(12, 7, 10)
    began = time.monotonic()
    await asyncio.wait_for(clock.sleep_until(target), 5.0)
    took = time.monotonic() - began
    assert clock.now() >= target
    assert 0.05 <= took < 2.0  # generous: about 0.1 s on an idle machine
