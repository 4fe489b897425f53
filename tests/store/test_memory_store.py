"""What only the memory store has to prove: expired keys are purged, so memory stays bounded."""

from __future__ import annotations

from bus.store import MemoryStore


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_expired_keys_are_purged_from_memory() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for i in range(1000):
        await store.set(f"short-{i}", b"v", ttl=1.0)
    await store.set("forever", b"v")
    assert len(store) == 1001
    clock.now += 1.0
    assert len(store) == 1
    assert await store.get("forever") == b"v"


async def test_key_expires_exactly_at_its_deadline() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.set("k", b"v", ttl=10.0)
    clock.now += 9.999
    assert await store.get("k") == b"v"
    clock.now += 0.001
    assert await store.get("k") is None


async def test_rewriting_one_key_with_long_ttl_keeps_expiry_index_bounded() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for i in range(10_000):
        await store.set("session", str(i).encode(), ttl=3600.0)
    # The private index is what would grow without bound; its size is the property under test.
    assert len(store._deadlines) <= 2 * 1 + 64 + 1
    clock.now += 3600.0
    assert await store.get("session") is None
    assert len(store._deadlines) == 0


async def test_rewritten_key_lives_until_its_latest_deadline() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.set("k", b"old", ttl=1.0)
    await store.set("k", b"new", ttl=5.0)
    clock.now += 2.0
    assert await store.get("k") == b"new"
