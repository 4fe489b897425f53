"""The working-day calendar of Vietnamese agencies (15:00 cut-off, weekends, Vietnam's public holidays,
office hours) and the age rule of the law (29 February births), shared by the bus's journeys and the
agency mocks. A bottom layer: it imports nothing of the project."""

from vn_calendar.ages import age_on, anniversary
from vn_calendar.calendar import (
    DEFAULT_OFFICE_HOURS,
    VIETNAM_TZ,
    CalendarError,
    NaiveDatetimeError,
    OfficeWindow,
    WorkingCalendar,
    require_aware,
    vietnam_today,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "VIETNAM_TZ",
    "CalendarError",
    "NaiveDatetimeError",
    "OfficeWindow",
    "WorkingCalendar",
    "age_on",
    "anniversary",
    "require_aware",
    "vietnam_today",
]
