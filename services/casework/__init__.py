"""What the agency mocks share: a case (hồ sơ) received under the caller's dossier code, worked on over
working days of a simulated clock (vn_calendar's WorkingCalendar), with statuses, an appointment date,
refusals and counted effects.

    book = CaseBook(capacity=100_000)
    case, replayed = book.receive("H31.29-20260105-0001", fingerprint, lambda: Case(...))
    case.status_at(clock.now())
"""

from services.casework.book import Case, CaseBook, CaseConflict, CaseUnknown
from services.casework.control import clock_router, effects_router
from services.casework.errors import AgencyError, LoiNghiepVu, install_agency_errors
from services.casework.people import PersonCheck, same_name, sixth_birthday_eve
from services.casework.timeline import Step, plan_steps
from vn_calendar import age_on

__all__ = [
    "AgencyError",
    "Case",
    "CaseBook",
    "CaseConflict",
    "CaseUnknown",
    "LoiNghiepVu",
    "PersonCheck",
    "Step",
    "age_on",
    "clock_router",
    "effects_router",
    "install_agency_errors",
    "plan_steps",
    "same_name",
    "sixth_birthday_eve",
]
