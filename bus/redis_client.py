"""A redis.asyncio client opened on first use, shared by the Redis-backed components of the bus, and
what an unreachable Redis becomes: `BusUnavailable` (503 Server.Bus.Unavailable), never a bare 500."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bus.errors import BusUnavailable

# Without socket time-outs a Redis behind a silent partition (packets dropped, no reset) stalls every
# caller forever; a URL's own socket_timeout / socket_connect_timeout options take precedence.
SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0
# What redis-py raises when the server cannot be reached or does not answer in time.
REDIS_OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


@contextmanager
def redis_outage_as_unavailable(what: str) -> Iterator[None]:
    """Turn an unreachable Redis inside the block into BusUnavailable naming `what` was refused."""
    try:
        yield
    except REDIS_OUTAGE as exc:
        raise BusUnavailable(
            f"{what}: the shared store (Redis) is unreachable ({type(exc).__name__})"
        ) from exc


async def run_script(
    client: aioredis.Redis, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
) -> Any:
    """`script`'s reply, run by EVALSHA (loaded again if the server lost it). Calling the script object
    does the same after checking, on every call, whether the client is a pipeline: two imports and a
    Protocol isinstance, ≈ 5 µs, and this client never is one."""
    try:
        return await client.evalsha(script.sha, len(keys), *keys, *args)
    except NoScriptError:
        script.sha = await client.script_load(script.script)
        return await client.evalsha(script.sha, len(keys), *keys, *args)


async def _send_within_timeout(
    connection: AbstractConnection,
    send: Callable[[Any, bool], Awaitable[None]],
    command: Any,
    check_health: bool,
) -> None:
    """`send` (redis-py's own) bounded by the connection's socket time-out through `asyncio.timeout`: redis-py
    bounds it by `asyncio.wait_for`, which on Python 3.11 runs the write as a task of its own, one more
    loop turn per command. A write past the time-out fails as redis-py's does (the connection dropped,
    its TimeoutError)."""
    timeout = connection.socket_timeout
    if not timeout:
        await send(command, check_health)
        return
    connection.socket_timeout = None  # for this write only: no wait_for inside; read time-outs are untouched
    try:
        async with asyncio.timeout(timeout):
            await send(command, check_health)
    except TimeoutError:
        raise RedisTimeoutError("Timeout writing to socket") from None
    finally:
        connection.socket_timeout = timeout


class PromptConnection(Connection):
    """redis-py's TCP connection whose command writes cost no task (`_send_within_timeout`)."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        """As redis-py's, within the socket time-out."""
        await _send_within_timeout(self, super().send_packed_command, command, check_health)


class PromptSSLConnection(SSLConnection):
    """redis-py's TLS connection whose command writes cost no task (`_send_within_timeout`)."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        """As redis-py's, within the socket time-out."""
        await _send_within_timeout(self, super().send_packed_command, command, check_health)


class PromptUnixConnection(UnixDomainSocketConnection):
    """redis-py's Unix-socket connection whose command writes cost no task (`_send_within_timeout`)."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        """As redis-py's, within the socket time-out."""
        await _send_within_timeout(self, super().send_packed_command, command, check_health)


_PROMPT: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: PromptConnection,
    SSLConnection: PromptSSLConnection,
    UnixDomainSocketConnection: PromptUnixConnection,
}


def prompt_writes(pool: aioredis.ConnectionPool) -> aioredis.ConnectionPool:
    """`pool` making the prompt variant of the connection class its URL chose (another class is kept)."""
    pool.connection_class = _PROMPT.get(pool.connection_class, pool.connection_class)
    return pool


class LazyRedis:
    """One client over a blocking pool, made on first use; closing drops it and its registered scripts,
    and a later use opens a fresh one."""

    def __init__(self, url: str, *, max_connections: int, pool_timeout: float) -> None:
        self._url = url
        self._max_connections = max_connections
        self._pool_timeout = pool_timeout
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    def client(self) -> aioredis.Redis:
        """The client, its pool made now if there is none."""
        if self._client is None:
            # A blocking pool makes a burst of callers wait for a connection instead of failing.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._url,
                max_connections=self._max_connections,
                timeout=self._pool_timeout,
                socket_timeout=SOCKET_TIMEOUT,
                socket_connect_timeout=CONNECT_TIMEOUT,
            )
            self._client = aioredis.Redis.from_pool(prompt_writes(pool))
        return self._client

    def script(self, source: str) -> AsyncScript:
        """The Lua `source` registered once on the current client."""
        client = self.client()
        if source not in self._scripts:
            self._scripts[source] = client.register_script(source)
        return self._scripts[source]

    async def ping(self) -> None:
        """Open the pool and ping the server, so a wrong URL fails here; idempotent."""
        await self.client().ping()

    async def close(self) -> None:
        """Close the pool; idempotent."""
        client, self._client = self._client, None
        self._scripts.clear()
        if client is not None:
            await client.aclose()
