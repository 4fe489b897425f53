"""The desk every agency mock's rules sit behind: its dossiers by the caller's code, the working-day
calendar, the people directory with its field-named checks, and the simulated clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from pydantic import BaseModel

from services.casework.book import CaseBook
from services.casework.directory import PeopleDirectory
from services.casework.people import PersonCheck
from services.casework.timeline import Step, as_datetime
from services.clock import SimulatedClock
from vn_calendar import WorkingCalendar

RequestT = TypeVar("RequestT")
StepModelT = TypeVar("StepModelT", bound=BaseModel)


class CaseDesk(Generic[RequestT]):
    """Cases of `RequestT` kept by dossier code (at most `capacity`), checked against `people` with the
    agency's own refusal codes for a malformed, unknown or mismatching person."""

    def __init__(
        self,
        people: PeopleDirectory,
        clock: SimulatedClock,
        capacity: int,
        *,
        invalid: str,
        not_found: str,
        mismatch: str,
    ) -> None:
        self.clock = clock
        self.directory = people
        self.calendar = WorkingCalendar()
        self.book: CaseBook[RequestT] = CaseBook(capacity)
        self.people = PersonCheck(people, invalid=invalid, not_found=not_found, mismatch=mismatch)


def history(steps: Iterable[Step], names: Mapping[int, str], model: type[StepModelT]) -> list[StepModelT]:
    """The steps reached, as the agency's own history entries (trangThai, tenTrangThai, thoiDiem, noiDung)."""
    return [
        model(trangThai=s.status, tenTrangThai=names[s.status], thoiDiem=as_datetime(s.at), noiDung=s.note)
        for s in steps
    ]
