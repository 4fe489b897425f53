"""The gateway's `TransactionSink` that appends every finished transaction to a TransactionLog."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bus.errors import BusUnavailable, InternalError
from bus.redis_client import REDIS_OUTAGE
from bus.transaction import TransactionRecord
from bus.txlog.base import TransactionLog
from bus.txlog.entry import LogEntry, TransactionBodies
from bus.txlog.redis import RedisTransactionLog, Ridden, Rider
from bus.txlog.spool import RecordSpool

log = logging.getLogger(__name__)

T = TypeVar("T")

# What means "the log cannot be reached now" rather than "the log refused this record".
LOG_OUTAGE = (*REDIS_OUTAGE, BusUnavailable)
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 2.0


class TransactionLogSink:
    """Appends each record. While the log is unreachable (Redis outage) records are spooled, in order,
    and appended once it is back; records arriving meanwhile queue behind them. A record that can be
    neither appended nor spooled (spool full, or the log refusing it) fails the call with
    Server.Bus.InternalError: an unlogged transaction is a breach of accountability, so it is never
    answered as a success."""

    def __init__(
        self, log: TransactionLog, *, spool_path: Path | None = None, spool_limit: int = 100_000
    ) -> None:
        self.log = log
        self.spool = RecordSpool(spool_path, limit=spool_limit)
        self._flusher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Take in records a previous process spooled, and start appending them."""
        if self.spool.load():
            log.warning("%d spooled transaction record(s) found; appending them to the log", len(self.spool))
            self._start_flusher()

    async def close(self) -> None:
        """Try once more to append spooled records, then release the log's connections."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self._flush_once()
        if len(self.spool):
            where = self.spool.path or "memory only: they are lost"
            log.error("%d transaction record(s) still spooled at shutdown (%s)", len(self.spool), where)
        await self.log.close()

    async def record(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> None:
        """Append `record` (with its bodies, which the log keeps only for its body services), or spool it."""
        await self._record(record, bodies, partial(self.append, record, bodies))

    async def record_riding(self, record: TransactionRecord, rider: Rider, ride: Any) -> Ridden | None:
        """Like `record` (no bodies), `rider`'s writes for `ride` made in the append's own script once the
        record is chained (the log must be a `RedisTransactionLog`); None when the record was spooled
        instead, and the ride never left."""
        redis_log = self.log
        if not isinstance(redis_log, RedisTransactionLog):
            raise TypeError(f"a ride needs a RedisTransactionLog, not {type(redis_log).__name__}")
        return await self._record(record, None, partial(redis_log.append_riding, record, rider, ride))

    async def _record(
        self, record: TransactionRecord, bodies: TransactionBodies | None, append: Callable[[], Awaitable[T]]
    ) -> T | None:
        """`append()`'s answer, or None when `record` (with `bodies`) was spooled instead."""
        if not len(self.spool):
            try:
                return await append()
            except LOG_OUTAGE as exc:
                log.warning("transaction log unreachable (%s); spooling records", type(exc).__name__)
            except Exception as exc:
                log.error("transaction %s could not be logged: %s", record.transaction_id, exc)
                raise InternalError(f"the transaction log could not record {record.transaction_id}") from exc
        if self.spool.full:
            full = f"the transaction log is unreachable and its spool is full: {record.transaction_id}"
            raise InternalError(f"{full} was not recorded")
        self.spool.push(record, bodies)
        self._start_flusher()
        return None

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Append and return the chained entry."""
        return await self.log.append(record, bodies)

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        pause = FIRST_RETRY_SECONDS
        while len(self.spool):
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_SECONDS)
            if await self._flush_once():
                log.warning("transaction log reachable again; spooled records appended")

    async def _flush_once(self) -> bool:
        """Append spooled records oldest first; False at the first that fails (it stays first)."""
        while len(self.spool):
            record, bodies = self.spool.oldest()
            try:
                await self.append(record, bodies)
            except Exception as exc:  # an outage, or a refusal an operator must fix: keep it, retry
                log.debug("spooled %s not appended yet: %r", record.transaction_id, exc)
                return False
            self.spool.pop_oldest()
        return True
