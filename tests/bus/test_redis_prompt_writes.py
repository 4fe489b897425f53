"""The bus's Redis connections write a command within the socket time-out without a task of its own
(`prompt_writes`), and fail a write past it as redis-py does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import TimeoutError as RedisTimeoutError

from bus.redis_client import (
    LazyRedis,
    PromptConnection,
    PromptSSLConnection,
    PromptUnixConnection,
    prompt_writes,
)
from tests.store.conftest import bounded, delete_prefixed


@pytest.mark.parametrize(
    ("url", "chosen"),
    [
        ("redis://127.0.0.1:6379/0", PromptConnection),
        ("rediss://127.0.0.1:6380/0", PromptSSLConnection),
        ("unix:///run/redis.sock?db=0", PromptUnixConnection),
    ],
)
def test_a_pool_makes_the_prompt_variant_of_the_class_its_url_chose(url: str, chosen: type) -> None:
    pool = prompt_writes(aioredis.ConnectionPool.from_url(url, socket_timeout=5.0))
    assert pool.connection_class is chosen
    assert issubclass(chosen, (Connection, SSLConnection, UnixDomainSocketConnection))


def test_a_connection_class_of_someone_else_s_is_kept() -> None:
    class Own(Connection):
        pass

    pool = prompt_writes(aioredis.ConnectionPool(connection_class=Own))
    assert pool.connection_class is Own


class Stalled(PromptConnection):
    """A connection whose write (redis-py's own send) waits `stall` seconds; records the time-out it saw."""

    def __init__(self, stall: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stall = stall
        self.seen: list[float | None] = []
        self.writers: list[asyncio.Task[Any] | None] = []
        self.dropped = False

    async def _send_packed_command(self, command: Any) -> None:
        self.seen.append(self.socket_timeout)
        self.writers.append(asyncio.current_task())
        await asyncio.sleep(self.stall)

    @property
    def is_connected(self) -> bool:
        return True

    async def disconnect(
        self,
        nowait: bool = False,
        error: Exception | None = None,
        failure_count: int | None = None,
        health_check_failed: bool = False,
    ) -> None:
        self.dropped = True


async def test_a_write_within_the_time_out_is_sent_without_wait_for_s_task() -> None:
    connection = Stalled(0.0, socket_timeout=0.5)
    await connection.send_packed_command(b"PING\r\n", check_health=False)
    assert connection.writers == [asyncio.current_task()]  # written in the caller's task
    assert connection.seen == [None]  # redis-py's own bound (a wait_for) not taken
    assert connection.socket_timeout == 0.5 and not connection.dropped


async def test_a_write_past_the_time_out_fails_as_redis_py_s_and_drops_the_connection() -> None:
    connection = Stalled(5.0, socket_timeout=0.1)
    with pytest.raises(RedisTimeoutError, match="Timeout writing to socket"):
        await asyncio.wait_for(connection.send_packed_command(b"PING\r\n", check_health=False), 2.0)
    assert connection.dropped
    assert connection.socket_timeout == 0.1  # restored for the reads that follow


@pytest.mark.redis
async def test_commands_go_through_prompt_connections(redis_url: str) -> None:
    url, key = bounded(redis_url), f"lgsp-test:{uuid.uuid4().hex}:n"
    redis = LazyRedis(url, max_connections=4, pool_timeout=5.0)
    try:
        assert await redis.client().incrby(key, 2) == 2
        assert redis.client().connection_pool.connection_class is PromptConnection
    finally:
        await redis.close()
        await delete_prefixed(url, key)
