"""The transaction log's contract, and what its queries and its verification return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from bus.transaction import TransactionRecord
from bus.txlog.entry import LogEntry, TransactionBodies

FindingKind = Literal[
    "unreadable",  # a stored entry does not parse
    "hash_mismatch",  # content altered: entry_hash is not the hash of the content
    "body_mismatch",  # a logged body does not hash to the recorded SHA-256
    "broken_link",  # prev_hash is not the entry_hash of the entry before
    "gap",  # sequence numbers missing (deleted entries)
    "reordered",  # an entry stored after one with a higher sequence number
    "duplicate",  # a sequence number seen twice (forged insert)
    "start_truncated",  # entries missing before the first retained one
    "tail_truncated",  # entries missing after the last one the head recorded
    "before_anchor",  # an entry older than the start anchor (inserted at the front)
    "beyond_head",  # entries after the head (appended behind the log's back)
    "head_mismatch",  # the head's hash differs from the stored entry of that sequence
    "missing_anchor",  # the head or start anchor key is gone while entries exist
]


class Finding(BaseModel):
    """One thing verification found wrong, and where."""

    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    sequence: int | None = None
    location: str | None = None
    message: str


class VerifyReport(BaseModel):
    """The outcome of walking the whole chain."""

    checked: int
    first_sequence: int | None = None
    last_sequence: int | None = None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.findings


class SubjectAccess(BaseModel):
    """One look-up of a citizen's data: who (agency, officer), when, for which dossier, which service."""

    model_config = ConfigDict(frozen=True)

    sequence: int
    at: datetime
    client: str | None
    user_id: str | None
    issue: str | None
    service: str | None
    transaction_id: str
    status: int
    succeeded: bool

    @classmethod
    def of(cls, entry: LogEntry) -> SubjectAccess:
        """The access an entry records."""
        return cls(
            sequence=entry.sequence,
            at=entry.request_in,
            client=entry.client,
            user_id=entry.user_id,
            issue=entry.issue,
            service=entry.service,
            transaction_id=entry.transaction_id,
            status=entry.status,
            succeeded=entry.succeeded,
        )


# A range bound: a sequence number, or a time (compared with the entry's request_in).
Bound = int | datetime | None


@runtime_checkable
class TransactionLog(Protocol):
    """An append-only, hash-chained log of transactions."""

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Chain `record` onto the log; bodies are kept only for the configured body services."""
        ...

    def entries(self, start: Bound = None, end: Bound = None) -> AsyncIterator[LogEntry]:
        """Readable entries in stored order, both bounds inclusive, by sequence (int) or request_in time."""
        ...

    async def verify(self) -> VerifyReport:
        """Walk the whole chain and report every alteration, deletion, insertion, reordering, truncation."""
        ...

    async def by_subject(
        self, citizen_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[SubjectAccess]:
        """Every transaction about `citizen_id` in the period, oldest first."""
        ...

    async def by_issue(
        self, issue: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogEntry]:
        """Every transaction made for dossier `issue` (maHoSo, X-Road's issue) in the period, oldest first:
        all of a journey's transactions."""
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...


def check_bounds(start: Bound, end: Bound) -> None:
    """Refuse bounds that cannot be compared: mixed kinds, booleans, naive times, negative sequences."""
    for bound in (start, end):
        if isinstance(bound, bool) or not isinstance(bound, int | datetime | None):
            raise ValueError(f"a bound is a sequence number or a datetime, got {bound!r}")
        if isinstance(bound, datetime) and bound.tzinfo is None:
            raise ValueError(f"time bound {bound.isoformat()} has no time zone")
        if isinstance(bound, int) and bound < 0:
            raise ValueError(f"sequence bound must be >= 0, got {bound}")
    if start is not None and end is not None and isinstance(start, int) != isinstance(end, int):
        raise ValueError("start and end must both be sequence numbers or both be times")


def within(entry: LogEntry, start: Bound, end: Bound) -> bool:
    """Whether `entry` lies between the (checked) bounds, inclusive."""
    for bound, after in ((start, True), (end, False)):
        if bound is None:
            continue
        value: int | datetime = entry.sequence if isinstance(bound, int) else entry.request_in
        if (after and value < bound) or (not after and value > bound):  # type: ignore[operator]
            return False
    return True
