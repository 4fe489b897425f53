"""What the agency mocks share: working days (15:00 cut-off, weekends, Vietnam's holidays) and the
seeded timelines that end by the appointment, or after it for the late share."""

from __future__ import annotations

import random
from datetime import date, datetime

import httpx
import pytest

from services.casework import plan_steps
from services.citizens import Population
from services.clock import VIETNAM_TIME
from services.social import create_app
from vn_calendar import WorkingCalendar

CALENDAR = WorkingCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM_TIME)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-12-07 09:00", 2, "2026-12-09 17:00"),  # Monday morning
        ("2026-12-07 15:30", 2, "2026-12-10 17:00"),  # after the 15:00 cut-off: counts from Tuesday
        ("2026-12-11 10:00", 2, "2026-12-15 17:00"),  # Friday: the weekend is skipped
        ("2026-12-06 10:00", 0, "2026-12-07 17:00"),  # Sunday: same-day result on Monday
        ("2026-02-13 10:00", 1, "2026-02-23 17:00"),  # Friday before Tết: 16-20 Feb 2026 are holidays
        ("2026-04-29 14:00", 1, "2026-05-04 17:00"),  # 30 April and 1 May
    ],
)
def test_an_appointment_counts_working_days_after_the_receiving_day(
    received: str, days: int, due: str
) -> None:
    assert CALENDAR.add_working_days(at(received), days) == at(due)


def test_public_holidays_and_weekends_are_not_working_days() -> None:
    assert not CALENDAR.is_working_day(date(2026, 9, 2))  # National Day
    assert not CALENDAR.is_working_day(date(2026, 12, 12))  # Saturday
    assert CALENDAR.is_working_day(date(2026, 12, 14))


def test_timelines_end_in_office_hours_by_the_appointment_unless_late() -> None:
    received = at("2026-12-07 09:00")
    due = CALENDAR.add_working_days(received, 2)
    middle = [(1, "received"), (2, "in progress")]
    finals = []
    for seed in range(200):
        steps = plan_steps(random.Random(seed), CALENDAR, received.timestamp(), due, middle, (3, "done"), 0.0)
        assert [s.status for s in steps] == [1, 2, 3]
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        end = datetime.fromtimestamp(steps[-1].at, VIETNAM_TIME)
        assert end <= due and 8 <= end.hour < 17 and CALENDAR.is_working_day(end.date())
        finals.append(end)
    assert len({end.date() for end in finals}) > 1  # spread over the allowed days, not one fixed time


def test_the_late_share_ends_after_the_appointment() -> None:
    received = at("2026-12-07 09:00")
    due = CALENDAR.add_working_days(received, 2)
    late = [
        plan_steps(random.Random(seed), CALENDAR, received.timestamp(), due, [(1, "r")], (3, "done"), 1.0)[
            -1
        ].at
        for seed in range(50)
    ]
    assert all(end > due.timestamp() for end in late)


async def test_an_agency_clock_jumps_forward_to_follow_another_clock_but_never_back() -> None:
    app = create_app(Population(size=100), latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://btxh") as client:
        target = "2027-02-10T09:30:00+07:00"
        moved = await client.post("/_control/clock/jump", json={"now": target})
        assert moved.status_code == 200 and moved.json()["now"].startswith("2027-02-10T09:30")
        back = await client.post("/_control/clock/jump", json={"now": "2026-01-01T00:00:00+07:00"})
        assert back.status_code == 409
        assert (await client.get("/_control/clock")).json()["now"].startswith("2027-02-10T09:30")
