"""Working-day arithmetic of Vietnamese agencies: a dossier received after 15:00, or on a day off, counts
from the next working day; weekends and Vietnam's public holidays (the `holidays` package) are skipped;
a result due on a day is due at 17:00 of that day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays

from services.clock import VIETNAM_TIME

CUT_OFF = time(15, 0)
CLOSING = time(17, 0)


class WorkingCalendar:
    """Working days in Vietnam: Monday to Friday, except public holidays and their substitute days."""

    def __init__(self) -> None:
        self._holidays = holidays.country_holidays("VN")

    def is_working_day(self, day: date) -> bool:
        """Whether agencies work on `day`."""
        return day.weekday() < 5 and day not in self._holidays

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def receiving_day(self, at: datetime) -> date:
        """The working day a dossier received at `at` counts from (15:00 cut-off)."""
        local = at.astimezone(VIETNAM_TIME)
        day = local.date()
        if self.is_working_day(day) and local.time() < CUT_OFF:
            return day
        return self.next_working_day(day)

    def add_working_days(self, day: date, count: int) -> date:
        """The working day `count` working days after `day` (`day` itself when count is 0)."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def due(self, received: datetime, working_days: int) -> datetime:
        """The appointment (17:00) of a dossier received at `received` and settled in `working_days`
        (0: the same working day)."""
        day = self.add_working_days(self.receiving_day(received), working_days)
        return datetime.combine(day, CLOSING, VIETNAM_TIME)
