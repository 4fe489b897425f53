"""PatientStore: an answering store is called once per operation; a refused one is retried with pauses
doubling from 0.1 s until the patience (counted from before the first try) runs out."""

from __future__ import annotations

import asyncio

import pytest

from bus.errors import BusUnavailable
from bus.store import MemoryStore
from bus.store.patient import PatientStore


class Refusing(MemoryStore):
    """A memory store that refuses its next `refusals` operations, noting when each call came
    (`lose_writes`: a refused set_if_absent / incr is applied first, its reply lost)."""

    def __init__(self, refusals: int, *, lose_writes: bool = False) -> None:
        super().__init__()
        self.refusals = refusals
        self.lose_writes = lose_writes
        self.calls: list[float] = []

    def _refuse(self) -> None:
        self.calls.append(asyncio.get_running_loop().time())
        if self.refusals > 0:
            self.refusals -= 1
            raise BusUnavailable("down")

    async def get(self, key: str) -> bytes | None:
        self._refuse()
        return await super().get(key)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        if self.lose_writes and self.refusals > 0:
            await super().incr(key, amount, ttl=ttl)
        self._refuse()
        return await super().incr(key, amount, ttl=ttl)

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        if self.lose_writes and self.refusals > 0:
            await super().set_if_absent(key, value, ttl=ttl)
        self._refuse()
        return await super().set_if_absent(key, value, ttl=ttl)


async def test_an_answering_store_is_called_once_and_nothing_waits() -> None:
    inner = Refusing(0)
    store = PatientStore(inner)
    await inner.set("k", b"v")
    assert await store.get("k") == b"v"
    assert await store.incr("n", 2) == 2
    assert (len(inner.calls), store.waits) == (2, 0)


async def test_a_refused_operation_is_retried_after_doubling_pauses() -> None:
    inner = Refusing(3)
    store = PatientStore(inner, patience=5.0)
    await MemoryStore.set(inner, "k", b"v")
    assert await store.get("k") == b"v"
    gaps = [later - earlier for earlier, later in zip(inner.calls, inner.calls[1:], strict=False)]
    assert gaps == pytest.approx([0.1, 0.2, 0.4], abs=0.05)
    assert store.waits == 1  # told once per waiting operation


async def test_the_patience_runs_out_with_the_last_refusal() -> None:
    inner = Refusing(100)
    store = PatientStore(inner, patience=0.35)
    with pytest.raises(BusUnavailable):
        await store.get("k")
    # tries at 0, 0.1 and 0.3 s; a fourth after another 0.4 s would pass the 0.35 s
    assert len(inner.calls) == 3
    assert store.waits == 1


async def test_a_refused_write_retried_counts_once_for_a_lost_reply_as_the_store_does() -> None:
    inner = Refusing(1, lose_writes=True)
    store = PatientStore(inner, patience=5.0)
    assert await store.incr("n") == 2  # a retried INCR whose reply was lost counts twice
    inner.refusals = 1
    assert await store.set_if_absent("lease", b"me") is True  # its own landed write: written
    assert await store.set_if_absent("lease", b"you") is False
