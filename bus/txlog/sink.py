"""The gateway's `TransactionSink` that appends every finished transaction to a TransactionLog."""

from __future__ import annotations

import logging

from bus.errors import InternalError
from bus.transaction import TransactionRecord
from bus.txlog.base import TransactionLog
from bus.txlog.entry import LogEntry, TransactionBodies

log = logging.getLogger(__name__)


class TransactionLogSink:
    """Appends each record. A failed append fails the call with Server.Bus.InternalError: an
    unlogged transaction is a breach of accountability, so it is never answered as a success."""

    def __init__(self, log: TransactionLog) -> None:
        self.log = log

    async def connect(self) -> None:
        """Nothing to open: the log connects on first use."""

    async def close(self) -> None:
        """Release the log's connections."""
        await self.log.close()

    async def record(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> None:
        """Append `record` (with its bodies, which the log keeps only for its body services)."""
        try:
            await self.append(record, bodies)
        except Exception as exc:
            log.error("transaction %s could not be logged: %s", record.transaction_id, exc)
            raise InternalError(f"the transaction log could not record {record.transaction_id}") from exc

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Append and return the chained entry."""
        return await self.log.append(record, bodies)
