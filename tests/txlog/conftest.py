"""Fixtures for the transaction-log suite: records, and each log kind with a way to tamper with it.

`tampered(transform)` rewrites the stored chain the way an operator with direct access could: on
memory by replacing the list, on Redis by deleting the stream and re-adding entries under explicit ids.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from bus.transaction import TransactionRecord
from bus.txlog import LogEntry, MemoryTransactionLog, RedisTransactionLog, TransactionLog, TxLogSettings
from bus.txlog.memory import StoredEntry

TIMEOUTS = "socket_timeout=5&socket_connect_timeout=2"
CITIZEN_A = "031090001234"
CITIZEN_B = "001185004321"


def bounded(url: str) -> str:
    """`url` with socket time-outs added, so a stuck server fails a test instead of hanging it."""
    return f"{url}{'&' if '?' in url else '?'}{TIMEOUTS}"


def make_record(
    number: int,
    *,
    at: datetime | None = None,
    client: str = "VN/GOV/HPG/STP",
    service: str = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1",
    subjects: tuple[str, ...] = (CITIZEN_A,),
    request: bytes | None = None,
    response: bytes = b'{"TonTai": true}',
) -> TransactionRecord:
    """A plausible finished look-up, distinct per `number`."""
    request = (
        request if request is not None else f'{{"SoDinhDanh": "{subjects[0] if subjects else ""}"}}'.encode()
    )
    start = at or datetime.now(UTC)
    return TransactionRecord(
        transaction_id=f"tx-{number}-{uuid.uuid4().hex[:8]}",
        message_id=f"msg-{number}",
        client=client,
        service=service,
        path="",
        user_id=f"CB{number:04d}",
        issue=f"HS-2024-{number:05d}",
        subjects=subjects,
        request_in=start,
        request_out=start + timedelta(milliseconds=2),
        response_in=start + timedelta(milliseconds=300),
        response_out=start + timedelta(milliseconds=302),
        status=200,
        succeeded=True,
        request_size=len(request),
        response_size=len(response),
        request_sha256=hashlib.sha256(request).hexdigest(),
        response_sha256=hashlib.sha256(response).hexdigest(),
    )


@dataclass
class Slot:
    """One stored entry as a tamperer sees it; `location` None for a forged one."""

    location: str | None
    entry: LogEntry


@dataclass
class LogUnderTest:
    """A log of one kind, a factory for more logs on the same storage, and a tampering hook."""

    kind: str
    log: TransactionLog
    settings: TxLogSettings
    open_another: Callable[[], TransactionLog]
    tampered: Callable[[Callable[[list[Slot]], list[Slot]]], Awaitable[None]]


def _memory(settings: TxLogSettings) -> LogUnderTest:
    log = MemoryTransactionLog(settings)

    async def tampered(transform: Callable[[list[Slot]], list[Slot]]) -> None:
        slots = transform([Slot(s.location, s.entry) for s in log.stored])
        log.stored = [StoredEntry(s.location or "forged", s.entry) for s in slots]

    # One process has one memory log: "another" handle is the same log.
    return LogUnderTest("memory", log, settings, lambda: log, tampered)


def _next_id(previous: tuple[int, int] | None, wanted: str | None) -> tuple[int, int]:
    candidate = tuple(int(part) for part in wanted.split("-")) if wanted else (0, 0)
    if previous is None or candidate > previous:
        return (candidate[0], candidate[1])
    return (previous[0], previous[1] + 1)


async def rewrite_stream(client: aioredis.Redis, key: str, slots: list[Slot]) -> None:
    """Replace stream `key` by `slots`, keeping ids where they still increase (Redis demands it)."""
    await client.delete(key)
    previous: tuple[int, int] | None = None
    for slot in slots:
        previous = _next_id(previous, slot.location)
        entry = slot.entry
        fields = {
            "seq": entry.sequence,
            "prev": entry.prev_hash,
            "hash": entry.entry_hash,
            "subjects": ",".join(entry.subjects),
            "entry": entry.to_json(),
        }
        await client.xadd(key, fields, id=f"{previous[0]}-{previous[1]}")  # type: ignore[arg-type]


MakeLog = Callable[..., Awaitable[LogUnderTest]]


class RedisLogs:
    """Makes Redis logs under unique stream keys, and removes every key they made."""

    def __init__(self, url: str) -> None:
        self.url = bounded(url)
        self.raw = aioredis.Redis.from_url(self.url, decode_responses=True)
        self.made: list[RedisTransactionLog] = []
        self.keys: list[str] = []

    async def make(self, **overrides: object) -> LogUnderTest:
        """A fresh log; `overrides` are TxLogSettings fields."""
        key = f"lgsp-test:txlog:{uuid.uuid4().hex}"
        self.keys.append(key)
        settings = TxLogSettings(redis_url=self.url, stream_key=key, **overrides)  # type: ignore[arg-type]

        def another() -> TransactionLog:
            self.made.append(RedisTransactionLog(settings))
            return self.made[-1]

        async def tampered(transform: Callable[[list[Slot]], list[Slot]]) -> None:
            stored: list[tuple[str, dict[str, str]]] = await self.raw.xrange(key, "-", "+")  # type: ignore[assignment]
            slots = [Slot(stream_id, LogEntry.from_json(fields["entry"])) for stream_id, fields in stored]
            await rewrite_stream(self.raw, key, transform(slots))

        return LogUnderTest("redis", another(), settings, another, tampered)

    async def cleanup(self) -> None:
        """Close every log and delete every key under the stream keys made."""
        for log in self.made:
            await log.close()
        for key in self.keys:
            found = [k async for k in self.raw.scan_iter(match=f"{key}*")]
            if found:
                await self.raw.delete(*found)
        await self.raw.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_log(request: pytest.FixtureRequest) -> AsyncIterator[MakeLog]:
    """Builds fresh logs of each kind (settings as keywords); Redis keys are deleted afterwards."""
    if request.param == "memory":

        async def memory(**overrides: object) -> LogUnderTest:
            return _memory(TxLogSettings(redis_url=None, **overrides))  # type: ignore[arg-type]

        yield memory
        return
    logs = RedisLogs(request.getfixturevalue("redis_url"))
    try:
        yield logs.make
    finally:
        await logs.cleanup()


@pytest.fixture
async def under_test(make_log: MakeLog) -> LogUnderTest:
    """A fresh log of each kind with default settings."""
    return await make_log()


@pytest.fixture
async def redis_log(redis_url: str) -> AsyncIterator[LogUnderTest]:
    """A fresh Redis log only, for what a memory log cannot do (several processes)."""
    logs = RedisLogs(redis_url)
    try:
        yield await logs.make()
    finally:
        await logs.cleanup()
