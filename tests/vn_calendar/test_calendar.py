"""WorkingCalendar: working days from Vietnam's holiday table, the 15:00 cut-off, appointment dates
(NgayHenTra) and working time, checked against cases computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.support.vietnam_clock import clock_at
from vn_calendar import (
    VIETNAM_TZ,
    CalendarError,
    NaiveDatetimeError,
    OfficeWindow,
    WorkingCalendar,
    vietnam_today,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A local instant in Vietnam."""
    return datetime(year, month, day, hour, minute, second, tzinfo=VIETNAM_TZ)


def due(year: int, month: int, day: int) -> datetime:
    """An appointment: that day at 17:00 local."""
    return at(year, month, day, 17)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_the_holiday_table_the_cases_below_rely_on(calendar: WorkingCalendar) -> None:
    """If a `holidays` release revises these (e.g. once 2027's Tết days are decreed), the hand-computed
    cases below need revising too: this test says so in one place."""
    february = [date(2026, 2, 1) + timedelta(days=i) for i in range(28)]
    off = [d for d in february if not calendar.is_working_day(d)]
    assert [d.day for d in off] == [1, 7, 8, 14, 15, 16, 17, 18, 19, 20, 21, 22, 28]
    assert calendar.holiday_name(date(2026, 2, 17)) == "Lunar New Year"
    tet_2027 = [date(2027, 2, d) for d in (4, 5, 8, 9, 10)]
    assert [calendar.is_working_day(d) for d in tet_2027] == [False] * 5
    assert calendar.is_working_day(date(2027, 2, 11))
    # Hùng Kings 2026 falls on a Sunday: the package observes it on Monday 27/4
    assert not calendar.is_working_day(date(2026, 4, 27))
    assert [calendar.is_working_day(date(2026, 4, d)) for d in (28, 29, 30)] == [True, True, False]
    assert not calendar.is_working_day(date(2026, 5, 1))
    # National Day 2026: Monday 31/8 off in exchange for Saturday 22/8 worked
    assert [calendar.is_working_day(date(2026, 8, 31) + timedelta(days=i)) for i in range(4)] == [
        False,
        False,
        False,
        True,
    ]
    assert calendar.is_working_day(date(2026, 8, 22))
    assert not calendar.is_working_day(date(2026, 8, 29))


def test_weekends_are_not_working_days(calendar: WorkingCalendar) -> None:
    assert [calendar.is_working_day(date(2026, 12, d)) for d in range(7, 14)] == [True] * 5 + [False] * 2


def test_received_before_the_cutoff_on_a_friday_is_due_monday_after_it_tuesday(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(at(2026, 12, 4, 14, 59), 1) == due(2026, 12, 7)
    assert calendar.add_working_days(at(2026, 12, 4, 15, 1), 1) == due(2026, 12, 8)


def test_same_day_results_are_due_at_17_or_the_next_working_day_after_the_cutoff(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(at(2026, 12, 4, 14, 59), 0) == due(2026, 12, 4)
    assert calendar.add_working_days(at(2026, 12, 4, 15, 1), 0) == due(2026, 12, 7)


def test_the_cutoff_itself_still_counts_the_same_day(calendar: WorkingCalendar) -> None:
    assert calendar.counting_day(at(2026, 12, 4, 15, 0, 0)) == date(2026, 12, 4)
    just_after = at(2026, 12, 4, 15) + timedelta(microseconds=1)
    assert calendar.counting_day(just_after) == date(2026, 12, 7)


def test_received_on_a_weekend_counts_from_monday(calendar: WorkingCalendar) -> None:
    assert calendar.counting_day(at(2026, 12, 5, 9)) == date(2026, 12, 7)
    assert calendar.add_working_days(at(2026, 12, 6, 8), 2) == due(2026, 12, 9)


def test_the_cutoff_applies_in_vietnam_time_whatever_zone_the_instant_is_given_in(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(datetime(2026, 12, 4, 7, 59, tzinfo=UTC), 1) == due(2026, 12, 7)
    assert calendar.add_working_days(datetime(2026, 12, 4, 8, 1, tzinfo=UTC), 1) == due(2026, 12, 8)


def test_a_deadline_before_tet_2026_resumes_after_it(calendar: WorkingCalendar) -> None:
    # Fri 13/2; 14-15 weekend, 16-20 Tết, 21-22 weekend
    assert calendar.add_working_days(at(2026, 2, 13, 10), 1) == due(2026, 2, 23)
    assert calendar.add_working_days(at(2026, 2, 13, 15, 1), 1) == due(2026, 2, 24)
    assert calendar.add_working_days(at(2026, 2, 11, 9), 3) == due(2026, 2, 23)


def test_a_ten_working_day_certificate_filed_before_tet_2026(calendar: WorkingCalendar) -> None:
    # counting day Tue 10/2: 11, 12, 13, 23, 24, 25, 26, 27, 2/3, 3/3
    assert calendar.add_working_days(at(2026, 2, 10, 9), 10) == due(2026, 3, 3)


def test_a_deadline_across_tet_2027(calendar: WorkingCalendar) -> None:
    # Wed 3/2/2027; 4-5 Tết, 6-7 weekend (Tết), 8-10 Tết
    assert calendar.add_working_days(at(2027, 2, 3, 14), 1) == due(2027, 2, 11)
    assert calendar.add_working_days(at(2027, 2, 3, 14), 2) == due(2027, 2, 12)


def test_a_deadline_across_30_april_and_1_may_2026(calendar: WorkingCalendar) -> None:
    # Fri 24/4: Mon 27/4 off (Hùng Kings observed), 28, 29 work, 30/4-1/5 off, 2-3 weekend
    assert calendar.add_working_days(at(2026, 4, 24, 10), 3) == due(2026, 5, 4)
    assert calendar.add_working_days(at(2026, 4, 29, 15, 1), 0) == due(2026, 5, 4)
    assert calendar.add_working_days(at(2026, 4, 29, 14), 2) == due(2026, 5, 5)


def test_a_deadline_across_national_day_2026_and_its_swapped_saturday(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(at(2026, 8, 28, 14, 59), 1) == due(2026, 9, 3)
    assert calendar.add_working_days(at(2026, 8, 28, 15, 1), 1) == due(2026, 9, 4)
    # Saturday 22/8 is worked in exchange for Monday 31/8
    assert calendar.add_working_days(at(2026, 8, 21, 10), 1) == due(2026, 8, 22)


def test_configured_days_off_and_working_days_override_the_package() -> None:
    swapped = WorkingCalendar(days_off={date(2027, 2, 11)}, working_days={date(2027, 2, 13)})
    assert swapped.holiday_name(date(2027, 2, 11)) == "day off (configured)"
    assert swapped.add_working_days(at(2027, 2, 3, 14), 1) == due(2027, 2, 12)
    assert swapped.add_working_days(at(2027, 2, 3, 14), 2) == due(2027, 2, 13)
    assert swapped.add_working_days(at(2027, 2, 3, 14), 3) == due(2027, 2, 15)
    # a day the package lists as a holiday can be declared a working day
    assert WorkingCalendar(working_days={date(2026, 2, 20)}).is_working_day(date(2026, 2, 20))


def test_a_given_holiday_table_replaces_the_package() -> None:
    own = WorkingCalendar(public_holidays={date(2026, 12, 8): "test holiday"})
    assert own.add_working_days(at(2026, 12, 7, 9), 1) == due(2026, 12, 9)
    assert own.is_working_day(date(2026, 9, 2))


def test_working_time_counts_office_windows_of_working_days_only(calendar: WorkingCalendar) -> None:
    assert calendar.working_day_length == timedelta(hours=8)
    assert calendar.working_time_between(at(2026, 12, 7, 7, 30), at(2026, 12, 7, 17)) == timedelta(hours=8)
    assert calendar.working_time_between(at(2026, 12, 7, 11), at(2026, 12, 7, 13, 30)) == timedelta(hours=1)
    # Friday 16:00 to Monday 08:30: an hour each side of the weekend
    assert calendar.working_time_between(at(2026, 12, 4, 16), at(2026, 12, 7, 8, 30)) == timedelta(hours=2)
    assert calendar.working_time_between(at(2026, 12, 7, 20), at(2026, 12, 7, 21)) == timedelta()
    assert calendar.working_days_between(at(2026, 12, 7, 8), at(2026, 12, 9, 8)) == 2.0


def test_working_time_skips_tet(calendar: WorkingCalendar) -> None:
    elapsed = calendar.working_time_between(at(2026, 2, 13, 13), at(2026, 2, 23, 9, 30))
    assert elapsed == timedelta(hours=6)
    assert calendar.working_days_between(at(2026, 2, 13, 13), at(2026, 2, 23, 9, 30)) == 0.75


def test_office_windows_and_next_opening(calendar: WorkingCalendar) -> None:
    assert calendar.office_window_at(at(2026, 12, 7, 9)) == (at(2026, 12, 7, 7, 30), at(2026, 12, 7, 11, 30))
    assert calendar.office_window_at(at(2026, 12, 7, 12)) is None
    assert calendar.office_window_at(at(2026, 12, 5, 9)) is None
    assert calendar.next_office_opening(at(2026, 12, 7, 12)) == at(2026, 12, 7, 13)
    assert calendar.next_office_opening(at(2026, 12, 4, 17)) == at(2026, 12, 7, 7, 30)
    assert calendar.next_office_opening(at(2026, 2, 13, 17)) == at(2026, 2, 23, 7, 30)


def test_naive_instants_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(NaiveDatetimeError, match="received"):
        calendar.add_working_days(datetime(2026, 12, 4, 9), 1)
    with pytest.raises(NaiveDatetimeError, match="end"):
        calendar.working_time_between(at(2026, 12, 4, 9), datetime(2026, 12, 4, 10))


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_a_deadline_must_be_a_whole_number_of_days(calendar: WorkingCalendar, n: object) -> None:
    with pytest.raises(CalendarError, match="whole number"):
        calendar.add_working_days(at(2026, 12, 4, 9), n)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="whole number"):
        calendar.working_days_after(date(2026, 12, 4), n)  # type: ignore[arg-type]


def test_working_days_after_a_day_skip_days_off(calendar: WorkingCalendar) -> None:
    # Fri 28/8/2026: 29-30 weekend, 31/8 (swapped for Sat 22/8) and 1-2/9 National Day off
    assert calendar.working_days_after(date(2026, 8, 28), 0) == date(2026, 8, 28)
    assert calendar.working_days_after(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert calendar.working_days_after(date(2026, 8, 28), 2) == date(2026, 9, 4)


def test_working_time_backwards_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="before start"):
        calendar.working_time_between(at(2026, 12, 4, 10), at(2026, 12, 4, 9))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days_off": {date(2026, 1, 2)}, "working_days": {date(2026, 1, 2)}}, "both off and working"),
        ({"weekend": range(7)}, "weekend"),
        ({"weekend": (7,)}, "weekend"),
        ({"office_hours": ()}, "at least one window"),
        (
            {"office_hours": (OfficeWindow.parse("08:00-12:00"), OfficeWindow.parse("11:00-17:00"))},
            "overlap",
        ),
        ({"cutoff": time(17), "results_due_at": time(16)}, "cut-off"),
    ],
)
def test_inconsistent_rules_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["08:00", "12:00-08:00", "8h-17h"])
def test_a_bad_office_window_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        OfficeWindow.parse(text)


def test_office_hours_are_configurable() -> None:
    windows = [OfficeWindow.parse("08:00-12:00"), OfficeWindow.parse("13:30-17:30")]
    late_office = WorkingCalendar(office_hours=windows)
    assert late_office.next_office_opening(at(2026, 12, 7, 12)) == at(2026, 12, 7, 13, 30)
    elapsed = late_office.working_time_between(at(2026, 12, 7, 17), at(2026, 12, 8, 9))
    assert elapsed == timedelta(hours=1, minutes=30)


def test_adding_working_time_walks_office_windows_and_inverts_working_time_between(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_time(at(2026, 12, 4, 16), timedelta(hours=2)) == at(2026, 12, 7, 8, 30)
    assert calendar.add_working_time(at(2026, 12, 7, 11), timedelta(hours=1)) == at(2026, 12, 7, 13, 30)
    assert calendar.add_working_time(at(2026, 12, 5, 10), timedelta(0)) == at(2026, 12, 5, 10)
    # 24 working hours from Friday 13/2/2026 16:00: 1 h that day, Tết, then 23/2, 24/2 and 7 h of 25/2
    assert calendar.add_working_time(at(2026, 2, 13, 16), timedelta(hours=24)) == at(2026, 2, 25, 16)
    for start in (at(2026, 12, 4, 16), at(2026, 4, 29, 12), at(2026, 8, 21, 9, 15)):
        for hours in (0.5, 3, 8, 17.25, 40):
            end = calendar.add_working_time(start, timedelta(hours=hours))
            assert calendar.working_time_between(start, end) == timedelta(hours=hours)


def test_negative_working_time_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="not negative"):
        calendar.add_working_time(at(2026, 12, 4, 16), timedelta(hours=-1))


@pytest.mark.parametrize(
    ("utc", "day_in_vietnam"),
    [
        (datetime(2026, 3, 2, 16, 59, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 2, 17, 0, tzinfo=UTC), date(2026, 3, 3)),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_vietnam_today_is_the_date_in_vietnam_not_in_utc(
    monkeypatch: pytest.MonkeyPatch, utc: datetime, day_in_vietnam: date
) -> None:
    clock_at(monkeypatch, utc)
    assert vietnam_today() == day_in_vietnam
