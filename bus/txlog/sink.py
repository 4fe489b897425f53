"""The gateway's `TransactionSink` that appends every finished transaction to a TransactionLog."""

from __future__ import annotations

from bus.transaction import TransactionRecord
from bus.txlog.base import TransactionLog
from bus.txlog.entry import LogEntry, TransactionBodies


class TransactionLogSink:
    """Appends each record; a failed append propagates, because an unlogged transaction is a breach."""

    def __init__(self, log: TransactionLog) -> None:
        self.log = log

    async def record(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> None:
        """Append `record` (with its bodies, which the log keeps only for its body services)."""
        await self.append(record, bodies)

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Append and return the chained entry."""
        return await self.log.append(record, bodies)
