"""A settled call's store writes: its record and its breaker count in one store step (`set_and_incr`),
and the breaker's window in agreement with the outcomes whatever path counted them."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bus.errors import ProviderError, ProviderRejected
from bus.store.memory import MemoryStore
from tests.backends import BACKENDS, Backend, open_backend
from tests.reliability.scripted import ScriptedAdapter, serving

BREAKER = {"failure_ratio": 0.9, "window": 30, "min_calls": 50, "open_seconds": 5}
RETRY = {"max_attempts": 2, "base_delay": 0.05, "max_delay": 0.05}


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request) as opened:
        yield opened


class CountingWrites(MemoryStore):
    """A memory store that counts its write operations by name."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: Counter[str] = Counter()

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self.writes["set"] += 1
        await super().set(key, value, ttl=ttl)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        self.writes["incr"] += 1
        return await super().incr(key, amount, ttl=ttl)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        self.writes["set_and_incr"] += 1
        return await super().set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)


async def test_a_successful_call_s_record_and_breaker_count_are_one_store_step() -> None:
    store = CountingWrites()
    adapter = ScriptedAdapter()
    async with serving(adapter, store=store, breaker=BREAKER) as served:
        sent = [served.envelope({"n": n}) for n in range(5)]
        replies = [await served.call(envelope) for envelope in sent]
        state = await served.workers[0].breakers["scripted"].state()
        recorded = [await served.workers[0].completed.reply_for(e.message_id) for e in sent]
    assert all(reply.ok for reply in replies)
    assert store.writes == Counter(set_and_incr=5)
    assert (state.calls, state.failures) == (5, 0)
    assert [r.payload if r is not None else None for r in recorded] == [r.payload for r in replies]


async def test_the_breaker_counts_every_outcome_once_whichever_step_counted_it(backend: Backend) -> None:
    # A success, a rejection (the provider answered: a success for its health), and a failure retried
    # into a success: four calls, one failure.
    adapter = ScriptedAdapter([None, ProviderRejected("no such citizen"), ProviderError("down")])
    async with serving(adapter, backend=backend, retry=RETRY, breaker=BREAKER) as served:
        outcomes = [await served.call(served.envelope({"n": n})) for n in range(3)]
        state = await served.workers[0].breakers["scripted"].state()
    assert [reply.ok for reply in outcomes] == [True, False, True]
    assert [attempt for attempt, _ in adapter.calls] == [1, 1, 1, 2]
    assert (state.state, state.calls, state.failures) == ("closed", 4, 1)
