"""Configuration of the working-day calendar (`LGSP_CALENDAR_*`) and of the clock (`LGSP_CLOCK_*`).

The government announces each year's swapped days after any `holidays` release, so a deployment adds
them here: `LGSP_CALENDAR_DAYS_OFF=2027-02-11,2027-02-12` and `LGSP_CALENDAR_WORKING_DAYS=2027-02-20`
(comma-separated ISO dates, or a JSON list). `LGSP_CALENDAR_OFFICE_HOURS=07:30-11:30,13:00-17:00`.

`LGSP_CLOCK_MODE=compressed` runs a working day in `LGSP_CLOCK_WORKING_DAY_SECONDS` and every stretch of
non-working time in `LGSP_CLOCK_OFF_HOURS_SECONDS`; `scaled` divides all time by `LGSP_CLOCK_FACTOR`.
Processes that must agree on simulated time (a gateway and its workers) are given the same
`LGSP_CLOCK_SIM_EPOCH` and `LGSP_CLOCK_WALL_EPOCH`; unset, each process starts at its own now.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bus.flows.clock import Clock, RealClock
from bus.flows.compressed_clock import CompressedClock, UniformPace, WorkingDayPace
from vn_calendar import DEFAULT_OFFICE_HOURS, OfficeWindow, WorkingCalendar


def _split(value: object) -> object:
    """A comma-separated string (or a JSON list in a string) as a list; anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


class CalendarSettings(BaseSettings):
    """Days off and working days beyond the `holidays` package's table, office hours, cut-off."""

    model_config = SettingsConfigDict(env_prefix="LGSP_CALENDAR_", extra="ignore")

    days_off: Annotated[frozenset[date], NoDecode] = Field(
        default=frozenset(), description="extra days off (announced holidays, swapped days)"
    )
    working_days: Annotated[frozenset[date], NoDecode] = Field(
        default=frozenset(), description="days that are working days whatever else says (worked Saturdays)"
    )
    office_hours: Annotated[tuple[OfficeWindow, ...], NoDecode] = Field(
        default=DEFAULT_OFFICE_HOURS, min_length=1, description="office windows of a working day"
    )
    cutoff: time = Field(default=time(15, 0), description="received after this counts from the next day")
    results_due_at: time = Field(default=time(17, 0), description="the hour an appointment falls due")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", min_length=1, description="IANA zone of office hours")

    @field_validator("days_off", "working_days", mode="before")
    @classmethod
    def _date_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("office_hours", mode="before")
    @classmethod
    def _window_list(cls, value: object) -> object:
        items = _split(value)
        if isinstance(items, list):
            return [OfficeWindow.parse(item) if isinstance(item, str) else item for item in items]
        return items

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {name!r}") from error
        return name


class ClockSettings(BaseSettings):
    """Which clock runs simulated time, and how fast."""

    model_config = SettingsConfigDict(env_prefix="LGSP_CLOCK_", extra="ignore")

    mode: Literal["real", "compressed", "scaled"] = Field(
        default="real", description="real time, working days compressed, or a scaled clock"
    )
    working_day_seconds: float = Field(
        default=5.0, gt=0, description="compressed: wall seconds per working day"
    )
    off_hours_seconds: float = Field(
        default=0.25, ge=0, description="compressed: wall seconds per stretch of non-working time"
    )
    factor: float = Field(default=60.0, gt=0, description="scaled: simulated seconds per wall second")
    sim_epoch: AwareDatetime | None = Field(default=None, description="simulated time at the wall epoch")
    wall_epoch: AwareDatetime | None = Field(default=None, description="wall instant simulated time starts")


def build_calendar(settings: CalendarSettings) -> WorkingCalendar:
    """The working calendar the settings describe."""
    return WorkingCalendar(
        days_off=settings.days_off,
        working_days=settings.working_days,
        office_hours=settings.office_hours,
        cutoff=settings.cutoff,
        results_due_at=settings.results_due_at,
        tz=ZoneInfo(settings.timezone),
    )


def build_clock(settings: ClockSettings, calendar: WorkingCalendar) -> Clock:
    """The clock the settings describe, over `calendar` (its timezone, its working days)."""
    if settings.mode == "real":
        return RealClock(calendar.tz)
    real_now = datetime.now(calendar.tz)
    sim_epoch = settings.sim_epoch or real_now
    wall_epoch = (settings.wall_epoch or real_now).timestamp()
    if settings.mode == "scaled":
        return CompressedClock(UniformPace(settings.factor), sim_epoch=sim_epoch, wall_epoch=wall_epoch)
    pace = WorkingDayPace(calendar, settings.working_day_seconds, settings.off_hours_seconds)
    return CompressedClock(pace, sim_epoch=sim_epoch, wall_epoch=wall_epoch)
