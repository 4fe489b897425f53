"""The working-day calendar of Vietnamese agencies (15:00 cut-off, weekends, Vietnam's public holidays,
office hours), shared by the bus's journeys and the agency mocks. A bottom layer: it imports nothing of
the project."""

from vn_calendar.calendar import (
    DEFAULT_OFFICE_HOURS,
    VIETNAM_TZ,
    CalendarError,
    NaiveDatetimeError,
    OfficeWindow,
    WorkingCalendar,
    require_aware,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "VIETNAM_TZ",
    "CalendarError",
    "NaiveDatetimeError",
    "OfficeWindow",
    "WorkingCalendar",
    "require_aware",
]
