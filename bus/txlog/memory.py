"""The transaction log in process memory: the embedded default, and the model the Redis log follows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from bus.transaction import TransactionRecord
from bus.txlog.base import Bound, SubjectAccess, VerifyReport, check_bounds, within
from bus.txlog.entry import GENESIS_HASH, LogEntry, TransactionBodies, build_entry
from bus.txlog.settings import TxLogSettings
from bus.txlog.verify import ChainMark, ChainVerifier


@dataclass
class StoredEntry:
    """An entry at its place in memory; `location` plays the part of a Redis stream id."""

    location: str
    entry: LogEntry


class MemoryTransactionLog:
    """A `TransactionLog` in a list, with the same head, start anchor and retention as the Redis one."""

    def __init__(self, settings: TxLogSettings | None = None) -> None:
        self.settings = settings or TxLogSettings(redis_url=None)
        # Public for inspection and for tamper tests, the way an operator could edit a Redis stream.
        self.stored: list[StoredEntry] = []
        self.head: ChainMark | None = None
        self.anchor: ChainMark | None = None
        self._by_subject: dict[str, list[LogEntry]] = {}
        self._by_issue: dict[str, list[LogEntry]] = {}
        self._appended = 0
        # Appends are synchronous between awaits already; the lock keeps that true if one ever awaits.
        self._lock = asyncio.Lock()

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Chain `record` onto the log; bodies are kept only for the configured body services."""
        kept = bodies if self.settings.logs_bodies_of(record.service) else None
        async with self._lock:
            head = self.head or ChainMark(0, GENESIS_HASH)
            entry = build_entry(record, head.sequence + 1, head.hash, kept)
            self._appended += 1
            self.stored.append(StoredEntry(f"m-{self._appended}", entry))
            self.head = ChainMark(entry.sequence, entry.entry_hash)
            if entry.sequence == 1:
                self.anchor = ChainMark(1, GENESIS_HASH)
            for subject in entry.subjects:
                self._by_subject.setdefault(subject, []).append(entry)
            if entry.issue:
                self._by_issue.setdefault(entry.issue, []).append(entry)
            self._trim()
        return entry

    async def entries(self, start: Bound = None, end: Bound = None) -> AsyncIterator[LogEntry]:
        """Entries in stored order, both bounds inclusive, by sequence (int) or request_in time."""
        check_bounds(start, end)
        for stored in list(self.stored):
            if within(stored.entry, start, end):
                yield stored.entry

    async def verify(self) -> VerifyReport:
        """Walk the whole chain and report every alteration, deletion, insertion, reordering, truncation."""
        verifier = ChainVerifier(self.anchor)
        for stored in list(self.stored):
            verifier.add(stored.location, stored.entry)
        return verifier.report(self.head)

    async def by_subject(
        self, citizen_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[SubjectAccess]:
        """Every transaction about `citizen_id` in the period, oldest first."""
        check_bounds(since, until)
        found = self._by_subject.get(citizen_id, [])
        return [SubjectAccess.of(entry) for entry in found if within(entry, since, until)]

    async def by_issue(
        self, issue: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogEntry]:
        """Every transaction made for dossier `issue` in the period, oldest first."""
        check_bounds(since, until)
        return [entry for entry in self._by_issue.get(issue, []) if within(entry, since, until)]

    async def close(self) -> None:
        """Nothing to release."""

    def _trim(self) -> None:
        limit = self.settings.max_entries
        if limit is None or len(self.stored) <= limit + self.settings.trim_batch:
            return
        doomed, self.stored = self.stored[:-limit], self.stored[-limit:]
        last = doomed[-1].entry
        # The anchor moves past exactly what retention removed, so verify still sees a whole chain.
        self.anchor = ChainMark(last.sequence + 1, last.entry_hash)
        for index, keys in ((self._by_subject, {s for d in doomed for s in d.entry.subjects}),
                            (self._by_issue, {d.entry.issue for d in doomed if d.entry.issue})):  # fmt: skip
            for key in keys:
                kept = [e for e in index[key] if e.sequence > last.sequence]
                if kept:
                    index[key] = kept
                else:
                    del index[key]
