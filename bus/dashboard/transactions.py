"""The dashboard's transaction views: the latest ones, filtered, and one opened from the log.

The list comes from operational monitoring (its latest records, shared by every gateway through Redis);
opening one reads its entry from the hash-chained transaction log and checks the entry's own hash and
its links to the entries either side, which are found by time (the log is indexed by append time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from bus.monitoring.records import OperationalRecord
from bus.monitoring.sink import MonitoringSink
from bus.txlog.base import TransactionLog
from bus.txlog.entry import GENESIS_HASH, LogEntry

# How far around the request-in time the entry and its neighbours are looked for.
NEIGHBOUR_WINDOW = timedelta(seconds=30)
StatusFilter = Literal["ok", "failed"]


class TransactionFilter(BaseModel):
    """Which transactions to list; every given criterion must hold."""

    client: str | None = None
    service: str | None = None
    status: StatusFilter | None = None
    dossier: str | None = None

    def matches(self, record: OperationalRecord) -> bool:
        """Whether `record` passes the filter."""
        if self.client and record.client != self.client:
            return False
        if self.service and record.service != self.service:
            return False
        if self.status is not None and record.succeeded != (self.status == "ok"):
            return False
        return not self.dossier or (record.issue or "").startswith(self.dossier)


class LinkCheck(BaseModel):
    """One check of an entry's place in the chain."""

    name: str
    ok: bool | None  # None: could not be checked here (the neighbour is outside the window)
    detail: str


class OpenedTransaction(BaseModel):
    """A log entry and what checking it against its neighbours found."""

    entry: LogEntry
    checks: list[LinkCheck]


async def latest_transactions(
    monitoring: MonitoringSink, wanted: TransactionFilter, *, limit: int, scan: int
) -> list[OperationalRecord]:
    """Up to `limit` newest records passing `wanted`, among the `scan` newest kept."""
    records = await monitoring.latest(limit=scan, service=wanted.service or None)
    return [record for record in records if wanted.matches(record)][:limit]


async def open_transaction(
    log: TransactionLog, transaction_id: str, request_in: datetime, client: str | None = None
) -> OpenedTransaction | None:
    """The entry of `transaction_id` (requested at `request_in`, by `client` when given: callers' ids are
    their own, so two clients' entries may share one) with its chain checks; None if absent."""
    nearby = [e async for e in log.entries(request_in - NEIGHBOUR_WINDOW, request_in + NEIGHBOUR_WINDOW)]
    by_sequence = {entry.sequence: entry for entry in nearby}
    entry = next(
        (e for e in nearby if e.transaction_id == transaction_id and client in (None, e.client)), None
    )
    if entry is None:
        return None
    return OpenedTransaction(entry=entry, checks=chain_checks(entry, by_sequence))


def chain_checks(entry: LogEntry, by_sequence: dict[int, LogEntry]) -> list[LinkCheck]:
    """Its content hash, its link to the entry before, and the next entry's link to it."""
    computed = entry.computed_hash()
    checks = [
        LinkCheck(
            name="content",
            ok=computed == entry.entry_hash,
            detail=f"SHA-256 of the entry is {computed[:16]}…, recorded {entry.entry_hash[:16]}…",
        )
    ]
    before = by_sequence.get(entry.sequence - 1)
    if entry.prev_hash == GENESIS_HASH:
        checks.append(LinkCheck(name="previous", ok=True, detail="the first entry of the log (genesis)"))
    elif before is None:
        checks.append(
            LinkCheck(
                name="previous", ok=None, detail="entry before is older; the full verification checks it"
            )
        )
    else:
        checks.append(
            LinkCheck(
                name="previous",
                ok=before.entry_hash == entry.prev_hash,
                detail=f"entry {before.sequence} hashes to {before.entry_hash[:16]}…, "
                f"this entry's prev_hash is {entry.prev_hash[:16]}…",
            )
        )
    after = by_sequence.get(entry.sequence + 1)
    if after is None:
        checks.append(
            LinkCheck(name="next", ok=None, detail="no later entry yet (or it is outside the window)")
        )
    else:
        checks.append(
            LinkCheck(
                name="next",
                ok=after.prev_hash == entry.entry_hash,
                detail=f"entry {after.sequence} links to {after.prev_hash[:16]}…",
            )
        )
    return checks
