"""`set_and_incr` through the store wrappers (the contract tests run it on memory and Redis): each keeps
the outage rule it has for a write and for a count."""

from __future__ import annotations

import pytest

from bus.auth.tracked_reads import TrackedReads
from bus.errors import BusUnavailable
from bus.redis_tracking import TrackingListener, TrackingTarget
from bus.store import MemoryStore, Store
from bus.store.last_known import LastKnownStore
from bus.store.patient import PatientStore
from bus.store.write_behind import WriteBehindStore


class Blinking(MemoryStore):
    """A memory store whose next `refusals` reads, writes and steps are refused (before doing anything)."""

    def __init__(self, *, refusals: int = 0) -> None:
        super().__init__()
        self.refusals = refusals
        self.steps = 0  # set_and_incr calls that went through

    def _refuse(self) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise BusUnavailable("blink")

    async def get(self, key: str) -> bytes | None:
        self._refuse()
        return await super().get(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._refuse()
        await super().set(key, value, ttl=ttl)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        self._refuse()
        self.steps += 1
        return await super().set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)


@pytest.mark.parametrize("wrap", [PatientStore, WriteBehindStore, LastKnownStore])
async def test_a_wrapper_writes_the_key_and_counts_in_the_store_s_one_step(wrap: type[Store]) -> None:
    inner = Blinking()
    store = wrap(inner)  # type: ignore[call-arg]
    assert await store.set_and_incr("done", b"reply", "calls") == 1
    assert await store.set_and_incr("done", b"again", "calls") == 2
    assert (await inner.get("done"), await inner.get("calls"), inner.steps) == (b"again", b"2", 2)


async def test_patient_store_waits_out_a_blink() -> None:
    inner = Blinking(refusals=2)
    store = PatientStore(inner, patience=5.0)
    assert await store.set_and_incr("done", b"reply", "calls") == 1
    assert store.waits == 1
    assert (await inner.get("done"), await inner.get("calls")) == (b"reply", b"1")


async def test_write_behind_store_holds_the_write_and_refuses_the_count_during_an_outage() -> None:
    inner = Blinking(refusals=2)  # the step, then the write's first try
    store = WriteBehindStore(inner)
    with pytest.raises(BusUnavailable):
        await store.set_and_incr("done", b"reply", "calls")
    assert store.held == 1
    assert await store.get("done") == b"reply"
    assert await inner.get("calls") is None
    # A step on a key whose write is held replaces what is held and counts.
    assert await store.set_and_incr("done", b"newer", "calls") == 1
    await store.close()
    assert await inner.get("done") == b"newer"


async def test_last_known_store_forgets_the_written_key() -> None:
    inner = Blinking()
    store = LastKnownStore(inner)
    await inner.set("done", b"old")
    assert await store.get("done") == b"old"
    await store.set_and_incr("done", b"new", "calls")
    inner.refusals = 1
    with pytest.raises(BusUnavailable):  # never the value the step replaced
        await store.get("done")


class HandDriven(TrackingListener):
    """A tracking listener that never connects: the test says when tracking is on."""

    def __init__(self) -> None:
        super().__init__("redis://127.0.0.1:1/0", ["x"])

    def start(self, target: TrackingTarget) -> None:
        """Nothing to start."""


async def test_tracked_reads_forget_both_keys_the_step_writes() -> None:
    inner = MemoryStore()
    store = TrackedReads(inner, HandDriven(), prefixes=("done", "calls"), server_prefix="lgsp:")
    store.tracking_started()
    assert (await store.get("done"), await store.get("calls")) == (None, None)  # kept: absent
    assert await store.set_and_incr("done", b"reply", "calls") == 1
    assert (await store.get("done"), await store.get("calls")) == (b"reply", b"1")
