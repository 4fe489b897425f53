"""What only the Redis store has to prove: keys live under its prefix, and a bad server fails on connect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from bus.errors import BusUnavailable
from bus.store import RedisStore


@pytest.mark.redis
async def test_keys_are_stored_under_prefix_and_invisible_to_other_prefixes(
    make_redis_store: Callable[[str], RedisStore], raw_redis: aioredis.Redis, unique_prefix: str
) -> None:
    mine, theirs = make_redis_store("a:"), make_redis_store("b:")
    await mine.set("k", b"mine", ttl=30)
    assert await theirs.get("k") is None
    assert await raw_redis.get(unique_prefix + "a:k") == b"mine"
    assert 0 < await raw_redis.pttl(unique_prefix + "a:k") <= 30_000


@pytest.mark.redis
async def test_counter_ttl_is_set_on_creation_in_redis(
    make_redis_store: Callable[[str], RedisStore], raw_redis: aioredis.Redis, unique_prefix: str
) -> None:
    store = make_redis_store("")
    await store.incr("rate", ttl=60)
    await store.incr("plain")
    assert 0 < await raw_redis.pttl(unique_prefix + "rate") <= 60_000
    assert await raw_redis.pttl(unique_prefix + "plain") == -1  # exists, no expiry


@pytest.mark.redis
async def test_reads_made_at_once_share_round_trips(make_redis_store: Callable[[str], RedisStore]) -> None:
    store = make_redis_store("")
    await store.set("k", b"v")
    before = store.read_calls
    found = await asyncio.gather(*(store.get("k" if n % 2 else f"absent{n}") for n in range(50)))
    assert found == [b"v" if n % 2 else None for n in range(50)]
    assert 1 <= store.read_calls - before <= 3  # one MGET, and whatever arrived while it was out


async def test_reads_made_at_once_of_an_unreachable_server_each_fail_as_unavailable() -> None:
    store = RedisStore("redis://127.0.0.1:1/0?socket_connect_timeout=1")
    outcomes = await asyncio.gather(*(store.get(f"key{n}") for n in range(3)), return_exceptions=True)
    assert [type(o) for o in outcomes] == [BusUnavailable] * 3
    assert [str(o).count(f"'key{n}'") for n, o in enumerate(outcomes)] == [1, 1, 1]
    await store.close()


async def test_connect_to_unreachable_server_raises_bus_unavailable() -> None:
    """The taxonomy's 'unreachable, nothing done': what a patient caller (a starting worker) waits out."""
    store = RedisStore("redis://127.0.0.1:1/0?socket_connect_timeout=1")
    with pytest.raises(BusUnavailable, match="connecting"):
        await store.connect()
    await store.close()
