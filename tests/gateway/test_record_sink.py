"""A call's record on one Redis: the monitoring record rides in the log's append, and only a chained
record is counted by monitoring."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from bus.errors import InternalError
from bus.gateway.record_sink import LoggedMonitoringSink, record_sinks
from bus.monitoring import MonitoringSettings, MonitoringSink, RedisMonitoringState, make_monitoring_sink
from bus.txlog import MemoryTransactionLog, RedisTransactionLog, TransactionLogSink, TxLogSettings
from tests.txlog.conftest import bounded, make_record

OTHER_URL = "redis://127.0.0.1:6379/14"


@dataclass
class OnRedis:
    """A log sink and a monitoring sink under this test's own keys, on one Redis."""

    txlog: TransactionLogSink
    monitoring: MonitoringSink
    sink: LoggedMonitoringSink
    log: RedisTransactionLog
    state: RedisMonitoringState
    raw: aioredis.Redis

    def counted(self, name: str = "lgsp_requests_total") -> float:
        registry: CollectorRegistry = self.monitoring.metrics.registry
        return sum(
            sample.value for metric in registry.collect() for sample in metric.samples if sample.name == name
        )


@pytest.fixture
async def on_redis(redis_url: str) -> AsyncIterator[OnRedis]:
    url = bounded(redis_url)
    key = f"lgsp-test:record:{uuid.uuid4().hex}"
    log = RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=f"{key}:log", max_append_attempts=3))
    txlog = TransactionLogSink(log)
    monitoring = make_monitoring_sink(url, settings=MonitoringSettings(key_prefix=f"{key}:mon:"))
    assert isinstance(monitoring.state, RedisMonitoringState)
    (sink,) = record_sinks(txlog, monitoring)
    assert isinstance(sink, LoggedMonitoringSink)
    raw = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        yield OnRedis(txlog, monitoring, sink, log, monitoring.state, raw)
    finally:
        await txlog.close()
        await monitoring.close()
        found = [k async for k in raw.scan_iter(match=f"{key}*")]
        if found:
            await raw.delete(*found)
        await raw.aclose()


@pytest.mark.redis
async def test_concurrent_records_are_logged_and_counted_in_one_script_call(on_redis: OnRedis) -> None:
    records = [make_record(i) for i in range(6)]
    await asyncio.gather(*(on_redis.sink.record(record) for record in records))

    entries = [entry async for entry in on_redis.log.entries()]
    assert [e.transaction_id for e in entries] == [r.transaction_id for r in records]
    assert (await on_redis.log.verify()).ok
    (health,) = await on_redis.monitoring.health()
    assert health.request_count == 6
    kept = await on_redis.monitoring.latest(limit=10)
    assert [r.transaction_id for r in reversed(kept)] == [r.transaction_id for r in records]
    assert on_redis.counted() == 6
    # One round trip for the lot: the log's script carried the monitoring records.
    assert on_redis.log.append_calls == 1


@pytest.mark.redis
async def test_a_record_the_log_refuses_is_not_counted_by_monitoring(on_redis: OnRedis) -> None:
    await on_redis.sink.record(make_record(1))
    # The log's head is gone while its stream is not empty: the log refuses every append until verified.
    await on_redis.raw.delete(on_redis.log.head_key)

    with pytest.raises(InternalError):
        await on_redis.sink.record(make_record(2))

    (health,) = await on_redis.monitoring.health()
    assert health.request_count == 1
    assert len(await on_redis.monitoring.latest(limit=10)) == 1
    assert on_redis.counted() == 1
    assert on_redis.counted("lgsp_monitoring_write_failures_total") == 0


@pytest.mark.redis
async def test_a_record_that_loses_its_compare_and_set_is_not_counted(on_redis: OnRedis) -> None:
    await on_redis.sink.record(make_record(1))
    other = RedisTransactionLog(on_redis.log.settings)
    await other.append(make_record(2))  # another process moved the head this process has cached
    await other.close()
    on_redis.log.settings = on_redis.log.settings.model_copy(update={"max_append_attempts": 1})

    with pytest.raises(InternalError):
        await on_redis.sink.record(make_record(3))

    assert on_redis.log.conflicts == 1
    (health,) = await on_redis.monitoring.health()
    assert health.request_count == 1
    assert on_redis.counted() == 1


@pytest.mark.redis
async def test_an_append_retried_on_a_moved_head_is_counted_once(on_redis: OnRedis) -> None:
    await on_redis.sink.record(make_record(1))
    other = RedisTransactionLog(on_redis.log.settings)
    await other.append(make_record(2))  # this process's cached head is stale now
    await other.close()

    await on_redis.sink.record(make_record(3))

    assert on_redis.log.conflicts == 1
    assert (await on_redis.log.verify()).ok
    (health,) = await on_redis.monitoring.health()
    assert health.request_count == 2
    assert len(await on_redis.monitoring.latest(limit=10)) == 2


@pytest.mark.redis
async def test_a_failed_monitoring_write_leaves_the_record_logged_and_the_call_answered(
    on_redis: OnRedis,
) -> None:
    await on_redis.raw.set(on_redis.state.records_key, "not a list")

    await on_redis.sink.record(make_record(1))

    assert [e.sequence async for e in on_redis.log.entries()] == [1]
    assert on_redis.counted("lgsp_monitoring_write_failures_total") == 1
    assert on_redis.counted() == 1  # the metrics still see the call


@pytest.mark.redis
async def test_while_the_log_spools_monitoring_writes_on_its_own(on_redis: OnRedis) -> None:
    waiting = make_record(1)
    on_redis.txlog.spool.push(waiting, None)  # as after an outage: later records queue behind it

    await on_redis.sink.record(make_record(2))

    assert len(on_redis.txlog.spool) == 2
    (health,) = await on_redis.monitoring.health()
    assert health.request_count == 1
    assert on_redis.counted() == 1


def test_the_sinks_are_joined_only_on_one_redis() -> None:
    memory_log = TransactionLogSink(MemoryTransactionLog(TxLogSettings(redis_url=None)))
    memory_monitoring = make_monitoring_sink(None)
    assert record_sinks(memory_log, memory_monitoring) == [memory_log, memory_monitoring]

    redis_log = TransactionLogSink(RedisTransactionLog(TxLogSettings(redis_url="redis://127.0.0.1:6379/13")))
    elsewhere = make_monitoring_sink(OTHER_URL)
    assert record_sinks(redis_log, elsewhere) == [redis_log, elsewhere]
    assert record_sinks(redis_log, memory_monitoring) == [redis_log, memory_monitoring]
    assert record_sinks(memory_log, elsewhere) == [memory_log, elsewhere]
