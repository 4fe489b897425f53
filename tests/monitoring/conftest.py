"""Builders of transaction records, and monitoring states on memory and on the real Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from bus.monitoring import MemoryMonitoringState, MonitoringState, RedisMonitoringState
from bus.transaction import TransactionRecord

ECHO = "VN/GOV/HPG/TMON/Echo/v1"
LOOKUP = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"
CLIENT = "VN/GOV/HPG/STP"
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def transaction(
    *,
    service: str | None = ECHO,
    client: str | None = CLIENT,
    start: datetime = T0,
    duration_ms: float = 10.0,
    bus_ms: float | None = None,
    fault_type: str | None = None,
    status: int | None = None,
    request_size: int = 100,
    response_size: int = 200,
    subjects: tuple[str, ...] = (),
) -> TransactionRecord:
    """A gateway record built by hand; `bus_ms` sets request-out/response-in centred in the call."""
    end = start + timedelta(milliseconds=duration_ms)
    request_out = response_in = None
    if bus_ms is not None:
        margin = timedelta(milliseconds=(duration_ms - bus_ms) / 2)
        request_out, response_in = start + margin, end - margin
    return TransactionRecord(
        transaction_id=secrets.token_hex(8),
        client=client,
        service=service,
        request_in=start,
        request_out=request_out,
        response_in=response_in,
        response_out=end,
        status=status if status is not None else (200 if fault_type is None else 502),
        succeeded=fault_type is None,
        fault_type=fault_type,
        request_size=request_size,
        response_size=response_size,
        subjects=subjects,
        request_sha256="0" * 64,
        response_sha256="1" * 64,
    )


@pytest.fixture
def unique_prefix() -> str:
    """A Redis key prefix no other test run uses."""
    return f"lgsp-test:monitoring:{secrets.token_hex(4)}:"


@pytest.fixture
async def raw_redis(redis_url: str, unique_prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client on the test database; removes this test's keys afterwards."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=unique_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def make_redis_state(
    redis_url: str, unique_prefix: str, raw_redis: aioredis.Redis
) -> AsyncIterator[Callable[..., RedisMonitoringState]]:
    """Redis states sharing this test's prefix (as replicas of one platform do); all closed afterwards."""
    made: list[RedisMonitoringState] = []

    def make(records_kept: int = 100) -> RedisMonitoringState:
        state = RedisMonitoringState(redis_url, records_kept=records_kept, prefix=unique_prefix)
        made.append(state)
        return state

    yield make
    for state in made:
        await state.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_state(request: pytest.FixtureRequest) -> Callable[..., MonitoringState]:
    """One contract, two states: in-process memory and shared Redis."""
    if request.param == "memory":
        return MemoryMonitoringState
    maker: Callable[..., MonitoringState] = request.getfixturevalue("make_redis_state")
    return maker
