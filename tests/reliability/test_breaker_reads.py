"""The circuit breakers' reads kept in memory under Redis tracking (`tracked_breaker_reads`): a closed
circuit is not read from Redis on every call, and another worker's opening (or closing) holds here once
Redis announces it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bus.auth.tracked_reads import TrackedReads
from bus.errors import CircuitOpen
from bus.reliability.breaker import CircuitBreaker
from bus.reliability.breaker_reads import breaker_keys, tracked_breaker_reads
from bus.reliability.policy import BreakerPolicy
from bus.store import MemoryStore, RedisStore
from tests.store.conftest import bounded, delete_prefixed

POLICY = BreakerPolicy(failure_ratio=0.5, window=10.0, min_calls=2, open_seconds=30.0)


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait (up to 5 s) until `check` holds; a bound against hanging, not a timing assertion."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def open_now(breaker: CircuitBreaker) -> bool:
    try:
        await breaker.allow()
    except CircuitOpen:
        return True
    return False


def test_a_store_in_memory_is_used_as_it_is() -> None:
    store = MemoryStore()
    assert tracked_breaker_reads(store, "redis://127.0.0.1:6379/0", ["population"]) is store
    assert tracked_breaker_reads(store, None, ["population"]) is store


def test_only_the_open_and_generation_keys_are_tracked_not_the_counters() -> None:
    assert breaker_keys(["civil", "population", "civil"]) == [
        "breaker:civil:open",
        "breaker:civil:generation",
        "breaker:population:open",
        "breaker:population:generation",
    ]


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"lgsp-test:{uuid.uuid4().hex}:"
    yield prefix
    await delete_prefixed(bounded(redis_url), prefix)


@pytest.mark.redis
async def test_a_closed_circuit_is_read_from_memory_and_another_workers_opening_holds_here(
    redis_url: str, prefix: str
) -> None:
    url = bounded(redis_url)
    tracked = tracked_breaker_reads(RedisStore(url, prefix=prefix), url, ["population"])
    assert isinstance(tracked, TrackedReads)
    other = RedisStore(url, prefix=prefix)
    await tracked.connect()
    await other.connect()
    try:
        await eventually(lambda: tracked.tracking, "tracking started")
        here = CircuitBreaker(tracked, "population", POLICY)
        there = CircuitBreaker(other, "population", POLICY)
        for _ in range(3):
            assert await here.allow() is False
        assert tracked.hits >= 2  # the closed circuit read once, then answered from memory
        for _ in range(2):
            await there.record(ok=False)  # the other worker opens the circuit
        opened = False
        for _ in range(500):
            if opened := await open_now(here):
                break
            await asyncio.sleep(0.01)
        assert opened, "the other worker's opening never held here"
    finally:
        await tracked.close()
        await other.close()


@pytest.mark.redis
async def test_this_workers_own_opening_holds_at_its_next_call(redis_url: str, prefix: str) -> None:
    url = bounded(redis_url)
    tracked = tracked_breaker_reads(RedisStore(url, prefix=prefix), url, ["civil"])
    assert isinstance(tracked, TrackedReads)
    await tracked.connect()
    try:
        await eventually(lambda: tracked.tracking, "tracking started")
        breaker = CircuitBreaker(tracked, "civil", POLICY)
        assert await breaker.allow() is False
        for _ in range(2):
            await breaker.record(ok=False)
        with pytest.raises(CircuitOpen):
            await breaker.allow()
    finally:
        await tracked.close()
