"""What only the Redis state proves: replicas share one platform-wide view, and Redis stays bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from bus.monitoring import MonitoringSettings, MonitoringSink, RedisMonitoringState, make_monitoring_sink
from tests.monitoring.conftest import ECHO, LOOKUP, T0, transaction

MakeRedisState = Callable[..., RedisMonitoringState]


@pytest.mark.redis
async def test_two_gateway_sinks_on_redis_see_each_others_figures(make_redis_state: MakeRedisState) -> None:
    first, second = MonitoringSink(make_redis_state()), MonitoringSink(make_redis_state())
    await first.record(transaction(duration_ms=5.0, start=T0))
    await second.record(transaction(duration_ms=15.0, start=T0 + timedelta(seconds=1)))
    await second.record(transaction(fault_type="Server.Bus.Timeout", start=T0 + timedelta(seconds=2)))

    for sink in (first, second):
        (health,) = await sink.health()
        assert (health.request_count, health.failure_count) == (3, 1)
        assert health.successful_duration_ms is not None
        assert (health.successful_duration_ms.min, health.successful_duration_ms.max) == (5.0, 15.0)
        assert health.last_success == T0 + timedelta(seconds=1)
        assert len(await sink.latest(limit=10)) == 3


@pytest.mark.redis
async def test_concurrent_records_from_two_replicas_are_all_counted(make_redis_state: MakeRedisState) -> None:
    sinks = [MonitoringSink(make_redis_state()), MonitoringSink(make_redis_state())]
    durations = [float(i + 1) for i in range(40)]
    await asyncio.wait_for(
        asyncio.gather(*(sinks[i % 2].record(transaction(duration_ms=ms)) for i, ms in enumerate(durations))),
        10,
    )

    (health,) = await sinks[0].health()

    assert health.request_count == 40
    assert health.successful_duration_ms is not None
    assert health.successful_duration_ms.min == 1.0
    assert health.successful_duration_ms.max == 40.0
    assert health.successful_duration_ms.avg == pytest.approx(sum(durations) / 40)


@pytest.mark.redis
async def test_the_record_list_in_redis_never_grows_past_its_capacity(
    make_redis_state: MakeRedisState, raw_redis: aioredis.Redis
) -> None:
    state = make_redis_state(records_kept=4)
    sink = MonitoringSink(state)
    for _ in range(10):
        await sink.record(transaction())
    assert await raw_redis.llen(state.records_key) == 4


@pytest.mark.redis
async def test_make_monitoring_sink_with_a_redis_url_shares_state(
    redis_url: str, unique_prefix: str, raw_redis: aioredis.Redis
) -> None:

    settings = MonitoringSettings(key_prefix=unique_prefix, records_kept=7)
    writer = make_monitoring_sink(redis_url, settings=settings)
    reader = make_monitoring_sink(redis_url, settings=settings)
    try:
        await writer.connect()
        await writer.record(transaction(service=LOOKUP))
        assert [h.service for h in await reader.health()] == [LOOKUP]
        assert await raw_redis.exists(unique_prefix + "health:" + LOOKUP) == 1
    finally:
        await writer.close()
        await reader.close()


async def test_make_monitoring_sink_without_url_keeps_state_in_this_process() -> None:
    first, second = make_monitoring_sink(None), make_monitoring_sink(None)
    await first.record(transaction(service=ECHO))
    assert [h.service for h in await first.health()] == [ECHO]
    assert await second.health() == []


async def test_connecting_to_an_unreachable_redis_fails_on_connect() -> None:

    sink = MonitoringSink(RedisMonitoringState("redis://127.0.0.1:1/0?socket_connect_timeout=1"))
    with pytest.raises(RedisConnectionError):
        await sink.connect()
    await sink.close()
