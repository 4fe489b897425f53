"""The `store` fixture: every contract test runs once on MemoryStore and once on RedisStore."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from bus.store import MemoryStore, RedisStore, Store

# Socket time-outs bound every Redis call, so a stuck server fails a test instead of hanging it.
TIMEOUTS = "socket_timeout=5&socket_connect_timeout=2"


def bounded(url: str) -> str:
    """`url` with socket time-outs added."""
    return f"{url}{'&' if '?' in url else '?'}{TIMEOUTS}"


async def delete_prefixed(url: str, prefix: str) -> None:
    """Remove every key a test left under its prefix."""
    client = aioredis.Redis.from_url(bounded(url))
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def unique_prefix() -> str:
    """A key prefix no other test uses."""
    return f"lgsp-test:{uuid.uuid4().hex}:"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, unique_prefix: str) -> AsyncIterator[Store]:
    """A connected store of each kind; Redis keys live under a unique prefix and are deleted afterwards."""
    if request.param == "memory":
        memory = MemoryStore()
        await memory.connect()
        yield memory
        await memory.close()
        return
    url: str = request.getfixturevalue("redis_url")
    shared = RedisStore(bounded(url), prefix=unique_prefix)
    await shared.connect()
    try:
        yield shared
    finally:
        await shared.close()
        await delete_prefixed(url, unique_prefix)


@pytest.fixture
async def make_redis_store(redis_url: str, unique_prefix: str) -> AsyncIterator[Callable[[str], RedisStore]]:
    """Builds RedisStores whose prefix starts with `unique_prefix`; all are closed and their keys deleted."""
    made: list[RedisStore] = []

    def build(sub_prefix: str) -> RedisStore:
        made.append(RedisStore(bounded(redis_url), prefix=unique_prefix + sub_prefix))
        return made[-1]

    try:
        yield build
    finally:
        for built in made:
            await built.close()
        await delete_prefixed(redis_url, unique_prefix)


@pytest.fixture
async def raw_redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client on the test database, to look behind a store's back."""
    client = aioredis.Redis.from_url(bounded(redis_url))
    try:
        yield client
    finally:
        await client.aclose()
