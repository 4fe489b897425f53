"""Working-day calendar for Vietnam's administrative deadlines.

The rules (Decree 61/2018/NĐ-CP and the one-stop practice; periods counted as the Civil Code, art. 147,
counts them: the day of the event itself is not counted):

- A working day is a day that is not a weekend day (Saturday, Sunday), not a public holiday of Vietnam
  as the `holidays` package knows it (New Year, Tết, Hùng Kings, 30/4, 1/5, 2/9 and its adjacent day,
  Culture Day from 2026, and the compensatory days off it records), and not a configured day off. A
  Saturday the government swaps into a working day (the package's weekend workdays, or a configured
  working day) is a working day. Configuration wins over the package: the government announces the
  swaps yearly, later than any release.
- Receipt: a dossier received on a working day at or before the cut-off (15:00) counts from that day;
  one received after it, or on a non-working day, counts from the next working day (its counting day).
- Appointment (`NgayHenTra`) for n working days: the n-th working day after the counting day, at the
  results-due time (17:00); n = 0 ("same day") is the counting day itself at 17:00.
- Working time between two instants: their overlap with the office windows of working days
  (07:30–11:30 and 13:00–17:00 by default: 8 hours a day); `add_working_time` is its inverse.

Every instant is timezone-aware; the local rules apply in Asia/Ho_Chi_Minh (no daylight saving).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, model_validator

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_today() -> date:
    """Today's date in Vietnam: an agency's "today" (seven hours ahead of UTC, so from 17:00 UTC it is
    already the next day there)."""
    return datetime.now(VIETNAM_TZ).date()


# Far enough for any configuration that is not absurd; a bound keeps a bad one from looping forever.
_SEARCH_LIMIT_DAYS = 3660


class CalendarError(ValueError):
    """A calendar built from inconsistent rules, or asked something it cannot answer."""


class NaiveDatetimeError(ValueError):
    """An instant without a timezone: it could mean any hour in Vietnam, so it is refused."""


def require_aware(value: datetime, what: str) -> datetime:
    """Return `value` unchanged, or raise NaiveDatetimeError naming `what` if it has no timezone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value


class OfficeWindow(BaseModel):
    """One stretch of office hours in a working day, [opens, closes)."""

    model_config = ConfigDict(frozen=True)

    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_before_closing(self) -> OfficeWindow:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours are local times without a timezone")
        if not self.opens < self.closes:
            raise ValueError(f"an office window must open before it closes, got {self.opens}-{self.closes}")
        return self

    @classmethod
    def parse(cls, text: str) -> OfficeWindow:
        """Read `HH:MM-HH:MM`."""
        opens, sep, closes = text.strip().partition("-")
        if not sep:
            raise ValueError(f"an office window looks like 07:30-11:30, got {text!r}")
        return cls(opens=time.fromisoformat(opens.strip()), closes=time.fromisoformat(closes.strip()))

    @property
    def length(self) -> timedelta:
        """How long the window is open."""
        day = date(2000, 1, 1)
        return datetime.combine(day, self.closes) - datetime.combine(day, self.opens)


DEFAULT_OFFICE_HOURS: tuple[OfficeWindow, ...] = (
    OfficeWindow(opens=time(7, 30), closes=time(11, 30)),
    OfficeWindow(opens=time(13, 0), closes=time(17, 0)),
)
SATURDAY, SUNDAY = 5, 6


class WorkingCalendar:
    """Working days, the cut-off, appointment dates and working time, for one set of rules."""

    def __init__(
        self,
        *,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        weekend: Iterable[int] = (SATURDAY, SUNDAY),
        office_hours: Iterable[OfficeWindow] = DEFAULT_OFFICE_HOURS,
        cutoff: time = time(15, 0),
        results_due_at: time = time(17, 0),
        tz: ZoneInfo = VIETNAM_TZ,
        public_holidays: Mapping[date, str] | None = None,
    ) -> None:
        """`public_holidays` replaces the `holidays` package's table (tests, or another source)."""
        self._days_off = frozenset(days_off)
        self._working_days = frozenset(working_days)
        both = self._days_off & self._working_days
        if both:
            raise CalendarError(f"days both off and working: {sorted(d.isoformat() for d in both)}")
        self._weekend = frozenset(weekend)
        if not self._weekend <= set(range(7)) or len(self._weekend) == 7:
            raise CalendarError(f"weekend days are 0 (Monday) .. 6 (Sunday), not all; got {sorted(weekend)}")
        self._windows = tuple(sorted(office_hours, key=lambda window: window.opens))
        if not self._windows:
            raise CalendarError("office hours need at least one window")
        for earlier, later in zip(self._windows, self._windows[1:], strict=False):
            if later.opens < earlier.closes:
                raise CalendarError(
                    f"office windows overlap: {earlier.opens}-{earlier.closes}, {later.opens}-{later.closes}"
                )
        if not cutoff < results_due_at:
            raise CalendarError(f"the cut-off ({cutoff}) must come before results are due ({results_due_at})")
        self.cutoff = cutoff
        self.results_due_at = results_due_at
        self.tz = tz
        self._package: holidays.HolidayBase | None = None
        self._given_holidays = public_holidays
        if public_holidays is None:
            self._package = holidays.country_holidays("VN")
        self._cache: dict[date, bool] = {}

    @property
    def office_hours(self) -> tuple[OfficeWindow, ...]:
        """The office windows of a working day, in order."""
        return self._windows

    @property
    def working_day_length(self) -> timedelta:
        """Office time in one working day (8 hours by default)."""
        return sum((window.length for window in self._windows), timedelta())

    def holiday_name(self, day: date) -> str | None:
        """The public holiday (or configured day off) on `day`, if any; weekends are not named."""
        if day in self._days_off:
            return "day off (configured)"
        if self._given_holidays is not None:
            return self._given_holidays.get(day)
        assert self._package is not None
        name: str | None = self._package.get(day)
        return name

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on `day` (see the module's rules)."""
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self._decide_working(day)
        return known

    def _decide_working(self, day: date) -> bool:
        if day in self._working_days:
            return True
        if self.holiday_name(day) is not None:
            return False
        # the package fills its weekend workdays for a year on the first look-up in it (holiday_name)
        if self._package is not None and day in self._package.weekend_workdays:
            return True
        return day.weekday() not in self._weekend

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day
        for _ in range(_SEARCH_LIMIT_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"no working day within {_SEARCH_LIMIT_DAYS} days after {day}")

    def local(self, instant: datetime, what: str = "instant") -> datetime:
        """`instant` in the calendar's timezone (refusing a naive one)."""
        return require_aware(instant, what).astimezone(self.tz)

    def counting_day(self, received: datetime) -> date:
        """The day a dossier received at `received` counts from (the 15:00 cut-off rule)."""
        local = self.local(received, "received")
        if self.is_working_day(local.date()) and local.time() <= self.cutoff:
            return local.date()
        return self.next_working_day(local.date())

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The appointment (`NgayHenTra`) for a dossier received at `start` with a deadline of `n`
        working days: the n-th working day after its counting day at 17:00 (n = 0: that day)."""
        day = self.working_days_after(self.counting_day(start), n)
        return datetime.combine(day, self.results_due_at, tzinfo=self.tz)

    def working_days_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (`day` itself for n = 0)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise CalendarError(f"a deadline is a whole number of working days >= 0, got {n!r}")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def office_windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office windows of `day` as instants (none on a non-working day)."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, w.opens, tzinfo=self.tz), datetime.combine(day, w.closes, tzinfo=self.tz))
            for w in self._windows
        ]

    def office_window_at(self, instant: datetime) -> tuple[datetime, datetime] | None:
        """The office window containing `instant`, or None outside office time."""
        local = self.local(instant)
        for opens, closes in self.office_windows(local.date()):
            if opens <= local < closes:
                return opens, closes
        return None

    def next_office_opening(self, instant: datetime) -> datetime:
        """The first opening of an office window strictly after `instant`."""
        local = self.local(instant)
        for opens, _ in self.office_windows(local.date()):
            if opens > local:
                return opens
        first = self._windows[0].opens
        return datetime.combine(self.next_working_day(local.date()), first, tzinfo=self.tz)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days within [start, end] (for durations "in working time")."""
        start, end = self.local(start, "start"), self.local(end, "end")
        if end < start:
            raise CalendarError(f"end {end.isoformat()} is before start {start.isoformat()}")
        total = timedelta()
        day = start.date()
        while day <= end.date():
            for opens, closes in self.office_windows(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which `duration` of office time has passed since `start` (deadlines
        in working hours; the inverse of `working_time_between`)."""
        local = self.local(start, "start")
        if duration < timedelta():
            raise CalendarError(f"a working-time span is not negative, got {duration}")
        if not duration:
            return start
        left = duration
        day = local.date()
        for _ in range(_SEARCH_LIMIT_DAYS):
            for opens, closes in self.office_windows(day):
                begin = max(opens, local)
                if begin >= closes:
                    continue
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
            day += timedelta(days=1)
        raise CalendarError(f"{duration} of working time does not fit within {_SEARCH_LIMIT_DAYS} days")

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working time between `start` and `end` in working days (8 office hours = 1.0)."""
        return self.working_time_between(start, end) / self.working_day_length
