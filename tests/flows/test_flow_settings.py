"""CalendarSettings and ClockSettings: LGSP_CALENDAR_* / LGSP_CLOCK_* variables, clear errors on bad
values, and the calendar and clock they build."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import bus.flows
from bus.flows import (
    VIETNAM_TZ,
    CalendarSettings,
    ClockSettings,
    CompressedClock,
    OfficeWindow,
    RealClock,
    build_calendar,
    build_clock,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LGSP_CALENDAR_/LGSP_CLOCK_ variable from the caller's shell may leak into a test."""
    for prefix, settings in (("LGSP_CALENDAR_", CalendarSettings), ("LGSP_CLOCK_", ClockSettings)):
        for name in settings.model_fields:
            monkeypatch.delenv(f"{prefix}{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_vietnams_rules_and_the_real_clock() -> None:
    calendar_settings = CalendarSettings()
    assert calendar_settings.days_off == frozenset() and calendar_settings.working_days == frozenset()
    assert (calendar_settings.cutoff, calendar_settings.results_due_at) == (time(15), time(17))
    assert [(w.opens, w.closes) for w in calendar_settings.office_hours] == [
        (time(7, 30), time(11, 30)),
        (time(13), time(17)),
    ]
    calendar = build_calendar(calendar_settings)
    assert calendar.working_day_length == timedelta(hours=8)
    assert isinstance(build_clock(ClockSettings(), calendar), RealClock)


def test_announced_swaps_come_from_comma_separated_or_json_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_CALENDAR_DAYS_OFF", "2027-02-11, 2027-02-12")
    monkeypatch.setenv("LGSP_CALENDAR_WORKING_DAYS", '["2027-02-20"]')
    settings = CalendarSettings()
    assert settings.days_off == {date(2027, 2, 11), date(2027, 2, 12)}
    assert settings.working_days == {date(2027, 2, 20)}
    calendar = build_calendar(settings)
    assert not calendar.is_working_day(date(2027, 2, 11))
    assert calendar.is_working_day(date(2027, 2, 20))


def test_office_hours_cutoff_and_due_hour_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_CALENDAR_OFFICE_HOURS", "08:00-12:00,13:30-17:30")
    monkeypatch.setenv("LGSP_CALENDAR_CUTOFF", "16:00")
    monkeypatch.setenv("LGSP_CALENDAR_RESULTS_DUE_AT", "17:30")
    settings = CalendarSettings()
    assert settings.office_hours == (OfficeWindow.parse("08:00-12:00"), OfficeWindow.parse("13:30-17:30"))
    calendar = build_calendar(settings)
    friday_1545 = datetime(2026, 12, 4, 15, 45, tzinfo=VIETNAM_TZ)
    assert calendar.add_working_days(friday_1545, 0) == datetime(2026, 12, 4, 17, 30, tzinfo=VIETNAM_TZ)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LGSP_CALENDAR_DAYS_OFF", "2027-02-30"),
        ("LGSP_CALENDAR_WORKING_DAYS", "[2027-02-20"),
        ("LGSP_CALENDAR_OFFICE_HOURS", "17:00-08:00"),
        ("LGSP_CALENDAR_OFFICE_HOURS", ""),
        ("LGSP_CALENDAR_TIMEZONE", "Asia/Hai_Phong"),
        ("LGSP_CALENDAR_CUTOFF", "25:00"),
    ],
)
def test_a_bad_calendar_value_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        CalendarSettings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LGSP_CLOCK_MODE", "warp"),
        ("LGSP_CLOCK_WORKING_DAY_SECONDS", "0"),
        ("LGSP_CLOCK_OFF_HOURS_SECONDS", "-1"),
        ("LGSP_CLOCK_FACTOR", "0"),
        ("LGSP_CLOCK_SIM_EPOCH", "2026-12-07T09:00:00"),  # naive: which 09:00?
    ],
)
def test_a_bad_clock_value_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        ClockSettings()


def test_a_compressed_clock_starts_at_its_configured_epochs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_CLOCK_MODE", "compressed")
    monkeypatch.setenv("LGSP_CLOCK_WORKING_DAY_SECONDS", "8")
    monkeypatch.setenv("LGSP_CLOCK_SIM_EPOCH", "2026-12-07T07:30:00+07:00")
    # a wall epoch far in the future: simulated time holds at the sim epoch until then
    monkeypatch.setenv("LGSP_CLOCK_WALL_EPOCH", "2100-01-01T00:00:00+00:00")
    clock = build_clock(ClockSettings(), build_calendar(CalendarSettings()))
    assert isinstance(clock, CompressedClock)
    assert clock.now() == datetime(2026, 12, 7, 7, 30, tzinfo=VIETNAM_TZ)


@pytest.mark.parametrize("mode", ["compressed", "scaled"])
def test_a_compressed_clock_runs_ahead_of_the_wall(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("LGSP_CLOCK_MODE", mode)
    monkeypatch.setenv("LGSP_CLOCK_SIM_EPOCH", "2026-12-07T09:00:00+07:00")
    monkeypatch.setenv("LGSP_CLOCK_WALL_EPOCH", (datetime.now(VIETNAM_TZ) - timedelta(seconds=2)).isoformat())
    clock = build_clock(ClockSettings(), build_calendar(CalendarSettings()))
    # two wall seconds. compressed (5 s a day, 0.25 s a gap): 09:00-11:30 is 1.5625 s, lunch 0.25 s,
    # 0.1875 s more is 18 office minutes. scaled by 60: two minutes. Tolerance: ~0.4 s of wall time.
    expected, tolerance = {
        "compressed": (datetime(2026, 12, 7, 13, 18, tzinfo=VIETNAM_TZ), timedelta(minutes=5)),
        "scaled": (datetime(2026, 12, 7, 9, 2, tzinfo=VIETNAM_TZ), timedelta(seconds=25)),
    }[mode]
    assert abs(clock.now() - expected) < tolerance


def test_the_public_surface_is_importable() -> None:
    for name in bus.flows.__all__:
        assert getattr(bus.flows, name) is not None
