"""Multi-system flows (journeys): working-day time, simulated clocks, on-time verdicts."""

from bus.flows.calendar import (
    DEFAULT_OFFICE_HOURS,
    VIETNAM_TZ,
    CalendarError,
    NaiveDatetimeError,
    OfficeWindow,
    WorkingCalendar,
    require_aware,
)
from bus.flows.clock import Clock, RealClock, ScheduledCall
from bus.flows.compressed_clock import CompressedClock, Pace, UniformPace, WorkingDayPace
from bus.flows.manual_clock import ManualClock
from bus.flows.settings import CalendarSettings, ClockSettings, build_calendar, build_clock
from bus.flows.timeliness import ProcedureTally, Verdict, VerdictRecord, judge, tally_by_procedure

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "VIETNAM_TZ",
    "CalendarError",
    "CalendarSettings",
    "Clock",
    "ClockSettings",
    "CompressedClock",
    "ManualClock",
    "NaiveDatetimeError",
    "OfficeWindow",
    "Pace",
    "ProcedureTally",
    "RealClock",
    "ScheduledCall",
    "UniformPace",
    "Verdict",
    "VerdictRecord",
    "WorkingCalendar",
    "WorkingDayPace",
    "build_calendar",
    "build_clock",
    "judge",
    "require_aware",
    "tally_by_procedure",
]
