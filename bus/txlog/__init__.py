"""The tamper-evident transaction log (X-Road's message log) and the who-accessed-my-data query."""

from __future__ import annotations

from bus.txlog.base import Finding, FindingKind, SubjectAccess, TransactionLog, VerifyReport
from bus.txlog.entry import GENESIS_HASH, LogEntry, StoredBody, TransactionBodies, build_entry
from bus.txlog.memory import MemoryTransactionLog
from bus.txlog.redis import RedisTransactionLog, TransactionLogBusy, TransactionLogDamaged
from bus.txlog.settings import TxLogSettings
from bus.txlog.sink import TransactionLogSink
from bus.txlog.verify import ChainMark, ChainVerifier

__all__ = [
    "GENESIS_HASH",
    "ChainMark",
    "ChainVerifier",
    "Finding",
    "FindingKind",
    "LogEntry",
    "MemoryTransactionLog",
    "RedisTransactionLog",
    "StoredBody",
    "SubjectAccess",
    "TransactionBodies",
    "TransactionLog",
    "TransactionLogBusy",
    "TransactionLogDamaged",
    "TransactionLogSink",
    "TxLogSettings",
    "VerifyReport",
    "build_entry",
    "make_transaction_log",
]


def make_transaction_log(settings: TxLogSettings | None = None) -> TransactionLog:
    """The Redis log when a Redis URL is configured, else the in-memory one."""
    settings = settings or TxLogSettings()
    if settings.redis_url:
        return RedisTransactionLog(settings)
    return MemoryTransactionLog(settings)
