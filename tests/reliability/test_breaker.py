"""Circuit breaker transitions, shared by two workers' breakers through the store (memory and Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bus.errors import CircuitOpen, ProviderError
from bus.reliability.breaker import GENERATION_MEMO_SECONDS, PROBE_SECONDS, CircuitBreaker, breaker_states
from bus.reliability.policy import BreakerPolicy
from bus.store import MemoryStore, RedisStore, Store
from tests.reliability.scripted import ScriptedAdapter, serving

POLICY = BreakerPolicy(failure_ratio=0.5, window=10.0, min_calls=4, open_seconds=5.0)


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    chosen: Store
    prefix = f"lgsp-test:{uuid.uuid4().hex}:"
    if request.param == "memory":
        chosen = MemoryStore()
    else:
        chosen = RedisStore(request.getfixturevalue("redis_url"), prefix=prefix)
    await chosen.connect()
    yield chosen
    await chosen.close()
    if request.param == "redis":  # the breakers' keys outlive the test otherwise (no expiry on "open")
        connection = redis.from_url(request.getfixturevalue("redis_url"))
        keys = [key async for key in connection.scan_iter(f"{prefix}*")]
        if keys:
            await connection.delete(*keys)
        await connection.aclose()


async def test_circuit_opens_on_failure_ratio_for_every_worker_then_probes_and_closes(store: Store) -> None:
    clock = Clock()
    first, second = (CircuitBreaker(store, "population", POLICY, clock=clock) for _ in range(2))
    for ok in (True, False, True):
        assert await first.allow() is False
        await first.record(ok=ok)
    assert (await second.state()).state == "closed"  # 1 of 3 failed, below min_calls anyway
    await second.record(ok=False)  # 2 of 4 failed: ratio reached on the other worker
    for breaker in (first, second):
        with pytest.raises(CircuitOpen) as refused:
            await breaker.allow()
        assert refused.value.retry_after == pytest.approx(5.0)
    assert (await first.state()).state == "open"

    clock.now += 5.0
    assert (await second.state()).state == "half-open"
    assert await second.allow() is True  # the one probe
    with pytest.raises(CircuitOpen, match="probe") as waiting:
        await first.allow()
    assert waiting.value.retry_after == pytest.approx(PROBE_SECONDS)  # a retry comes back after the probe
    await second.record(ok=True, probe=True)
    state = await first.state()
    assert state.state == "closed" and (state.calls, state.failures) == (0, 0)  # a fresh window
    assert await first.allow() is False


async def test_a_failed_probe_opens_the_circuit_again(store: Store) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, "payment", POLICY, clock=clock)
    for _ in range(4):
        await breaker.record(ok=False)
    clock.now += 5.0
    assert await breaker.allow() is True
    await breaker.record(ok=False, probe=True)
    with pytest.raises(CircuitOpen):
        await breaker.allow()
    clock.now += 5.0
    assert await breaker.allow() is True  # the probe lease was given back


async def test_failures_older_than_the_window_no_longer_count(store: Store) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, "vnpost", POLICY, clock=clock)
    for _ in range(3):
        await breaker.record(ok=False)
    clock.now += 11.0
    await breaker.record(ok=False)
    state = await breaker.state()
    assert state.state == "closed" and state.failures == 1


async def test_breaker_states_lists_each_named_provider(store: Store) -> None:
    clock = Clock()
    broken = CircuitBreaker(store, "civil", POLICY, clock=clock)
    for _ in range(4):
        await broken.record(ok=False)
    states = {s.provider: s for s in await breaker_states(store, ["population", "civil"], clock=clock)}
    assert states["civil"].state == "open" and states["civil"].open_until is not None
    assert states["population"].state == "closed" and states["population"].calls == 0


async def test_open_circuit_fails_fast_without_calling_the_provider() -> None:
    adapter = ScriptedAdapter([ProviderError("500")] * 2)
    breaker = {"failure_ratio": 0.5, "min_calls": 2, "window": 30, "open_seconds": 30}
    async with serving(adapter, breaker=breaker) as served:
        for _ in range(2):
            assert not (await served.call(served.envelope())).ok
        reply = await served.call(served.envelope())
        assert reply.error is not None and reply.error.type == "Server.Bus.CircuitOpen"
        assert len(adapter.calls) == 2
        assert served.workers[0].stats["circuit_open"] == 1


async def test_client_side_failures_do_not_open_the_circuit(store: Store) -> None:
    breaker = CircuitBreaker(store, "population", POLICY, clock=Clock())
    for _ in range(10):
        await breaker.record(ok=True)  # what the worker records for Client.* and Provider.Rejected
    assert (await breaker.state()).state == "closed"


class CountingIncr(MemoryStore):
    """A memory store that counts its `incr` calls, each of which waits a loop turn as a remote one does."""

    def __init__(self) -> None:
        super().__init__()
        self.incrs = 0

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        self.incrs += 1
        await asyncio.sleep(0)
        return await super().incr(key, amount, ttl=ttl)


async def test_concurrent_calls_are_all_counted_in_fewer_store_writes() -> None:
    store = CountingIncr()
    clock = Clock()
    breaker = CircuitBreaker(store, "population", POLICY, clock=clock)
    await asyncio.gather(*(breaker.record(ok=True) for _ in range(20)))
    assert (await breaker.state()).calls == 20
    assert store.incrs < 20  # one write for the calls that waited together
    clock.now += POLICY.window / 5  # the next slot of the same window
    await asyncio.gather(*(breaker.record(ok=False) for _ in range(20)))
    state = await breaker.state()
    assert (state.calls, state.failures, state.state) == (40, 20, "open")


def test_bad_breaker_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        BreakerPolicy(failure_ratio=0)
    with pytest.raises(ValueError, match="provider"):
        CircuitBreaker(MemoryStore(), "", POLICY)


class CountingGets(MemoryStore):
    """A memory store that counts its reads of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[str, int] = {}

    async def get(self, key: str) -> bytes | None:
        self.reads[key] = self.reads.get(key, 0) + 1
        return await super().get(key)


async def test_successes_within_a_second_read_the_generation_once_and_failures_read_it_afresh() -> None:
    store = CountingGets()
    clock = Clock()
    breaker = CircuitBreaker(store, "population", POLICY, clock=clock)
    for _ in range(5):
        await breaker.record(ok=True)
    assert store.reads["breaker:population:generation"] == 1
    clock.now += GENERATION_MEMO_SECONDS
    await breaker.record(ok=True)
    assert store.reads["breaker:population:generation"] == 2
    await breaker.record(ok=False)
    assert store.reads["breaker:population:generation"] == 3


async def test_a_failure_after_another_worker_closed_the_circuit_counts_in_the_fresh_window(
    store: Store,
) -> None:
    clock = Clock()
    first, second = (CircuitBreaker(store, "population", POLICY, clock=clock) for _ in range(2))
    for _ in range(4):
        await second.record(ok=False)  # opened
    clock.now += POLICY.open_seconds
    for breaker in (first, second):
        await breaker.record(ok=True)  # calls admitted before the circuit opened: generation 0 read
    assert await second.allow() is True
    await second.record(ok=True, probe=True)  # closed: generation 1, a fresh window
    await second.record(ok=True)  # the closing worker knows the new generation
    await first.record(ok=False)  # within a second: counted in the fresh window, not generation 0's
    state = await first.state()
    assert (state.state, state.calls, state.failures) == ("closed", 2, 1)
