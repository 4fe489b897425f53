"""`Store.compare_and_set`, the optimistic-concurrency write, on every store (see the `store` fixture)."""

from __future__ import annotations

import asyncio

from bus.store import Store


async def test_compare_and_set_creates_an_absent_key_only_when_absent_is_expected(store: Store) -> None:
    assert await store.compare_and_set("k", None, b"v1") is True
    assert await store.get("k") == b"v1"
    assert await store.compare_and_set("k", None, b"v2") is False
    assert await store.get("k") == b"v1"


async def test_compare_and_set_replaces_only_the_expected_value(store: Store) -> None:
    await store.set("k", b"v1")
    assert await store.compare_and_set("k", b"stale", b"v2") is False
    assert await store.get("k") == b"v1"
    assert await store.compare_and_set("k", b"v1", b"v2") is True
    assert await store.get("k") == b"v2"


async def test_compare_and_set_expecting_a_value_fails_on_an_absent_key(store: Store) -> None:
    assert await store.compare_and_set("missing", b"", b"v") is False
    assert await store.get("missing") is None


async def test_compare_and_set_tells_an_empty_value_from_an_absent_key(store: Store) -> None:
    await store.set("k", b"")
    assert await store.compare_and_set("k", None, b"v") is False
    assert await store.compare_and_set("k", b"", b"v") is True
    assert await store.get("k") == b"v"


async def test_compare_and_set_applies_its_ttl(store: Store) -> None:
    assert await store.compare_and_set("k", None, b"v", ttl=0.2) is True
    await asyncio.sleep(0.35)
    assert await store.get("k") is None


async def test_concurrent_compare_and_sets_from_one_value_let_exactly_one_win(store: Store) -> None:
    await store.set("k", b"0")
    results = await asyncio.gather(*(store.compare_and_set("k", b"0", str(n).encode()) for n in range(1, 11)))
    assert sum(results) == 1
    winner = results.index(True) + 1
    assert await store.get("k") == str(winner).encode()
