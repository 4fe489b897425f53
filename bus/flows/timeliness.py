"""On-time verdicts as the national service index measures them (Decision 766/QĐ-TTg).

A finished dossier is judged by comparing the date it finished with its appointment date
(`NgayHenTra`), both in Vietnam's local time: early (before), on time (the same day), late (after).
An unfinished one is open, or open and already late once the appointment day has passed. Per
procedure, the on-time rate is (early + on time) / finished; open dossiers are counted apart and do
not enter the rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, model_validator

from vn_calendar import VIETNAM_TZ, require_aware


class Verdict(StrEnum):
    """How a dossier stands against its appointment date."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OPEN_LATE = "open_late"


def judge(due_at: datetime, finished_at: datetime | None, now: datetime, tz: tzinfo = VIETNAM_TZ) -> Verdict:
    """The verdict for a dossier due at `due_at`, finished at `finished_at` (None: not yet), seen at `now`."""
    due_day = require_aware(due_at, "due_at").astimezone(tz).date()
    if finished_at is None:
        today = require_aware(now, "now").astimezone(tz).date()
        return Verdict.OPEN_LATE if today > due_day else Verdict.OPEN
    finish_day = require_aware(finished_at, "finished_at").astimezone(tz).date()
    if finish_day < due_day:
        return Verdict.EARLY
    return Verdict.ON_TIME if finish_day == due_day else Verdict.LATE


class VerdictRecord(BaseModel):
    """One dossier's timeliness, as stored and reported; the verdict is derived, never trusted from input."""

    model_config = ConfigDict(frozen=True)

    procedure: str = Field(min_length=1, description="the procedure (journey kind) the dossier follows")
    dossier_code: str = Field(min_length=1, description="maHoSo")
    received_at: AwareDatetime
    due_at: AwareDatetime = Field(description="NgayHenTra, the appointment")
    finished_at: AwareDatetime | None = None
    as_of: AwareDatetime = Field(description="when an open dossier was looked at")

    @model_validator(mode="after")
    def _ordered(self) -> VerdictRecord:
        if self.due_at < self.received_at:
            raise ValueError("due_at is before received_at")
        if self.finished_at is not None and self.finished_at < self.received_at:
            raise ValueError("finished_at is before received_at")
        if self.as_of < self.received_at:
            raise ValueError("as_of is before received_at")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        """Early, on time, late, open, or open and already late."""
        return judge(self.due_at, self.finished_at, self.as_of)


class ProcedureTally(BaseModel):
    """Verdict counts for one procedure, and its on-time rate."""

    procedure: str = Field(min_length=1)
    early: int = Field(default=0, ge=0)
    on_time: int = Field(default=0, ge=0)
    late: int = Field(default=0, ge=0)
    open: int = Field(default=0, ge=0)
    open_late: int = Field(default=0, ge=0)

    def count(self, verdict: Verdict) -> None:
        """Add one dossier with `verdict`."""
        name = verdict.value
        setattr(self, name, getattr(self, name) + 1)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def finished(self) -> int:
        """Dossiers finished (early, on time or late)."""
        return self.early + self.on_time + self.late

    @computed_field  # type: ignore[prop-decorator]
    @property
    def on_time_rate(self) -> float | None:
        """(early + on time) / finished, or None before anything finished."""
        return (self.early + self.on_time) / self.finished if self.finished else None


def tally_by_procedure(records: Iterable[VerdictRecord]) -> dict[str, ProcedureTally]:
    """Count `records` per procedure (in the order procedures first appear)."""
    tallies: dict[str, ProcedureTally] = {}
    for record in records:
        tally = tallies.get(record.procedure)
        if tally is None:
            tally = tallies[record.procedure] = ProcedureTally(procedure=record.procedure)
        tally.count(record.verdict)
    return tallies
