"""Redis server-assisted client-side caching, for a cache of ours: one connection on which Redis tracks
every key under some prefixes and tells of each change (`TrackingListener`).

redis-py's asyncio client has no client-side cache, so this is the protocol's RESP2 form by hand: the
connection asks `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX …`, then subscribes to
`__redis__:invalidate`. With BCAST the server announces every change of a key under a prefix (write,
delete, expiry, eviction; a flush as "everything"), whichever connection read or wrote it. Tracking and
subscription live on one connection, so losing it loses both at once, and the listener notices.

A cache may keep a value only while tracking is on, and must forget everything when it may have missed an
announcement: the connection lost or closed, or silent for two pings (a partition that drops packets
without a reset); it is then re-made after a pause.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection, parse_url
from redis.exceptions import RedisError

from bus.redis_client import CONNECT_TIMEOUT, SOCKET_TIMEOUT

log = logging.getLogger(__name__)

CHANNEL = "__redis__:invalidate"
# Silence this long gets a ping; a ping unanswered this long again counts the connection lost.
PING_SECONDS = 1.0
FIRST_PAUSE_SECONDS = 0.1
MAX_PAUSE_SECONDS = 5.0


class TrackingTarget(Protocol):
    """What a listener tells: when its announcements start, each of them, and when they may be missed."""

    def tracking_started(self) -> None:
        """Every change from now on will be announced."""
        ...

    def invalidated(self, keys: Sequence[str] | None) -> None:
        """These keys changed (None: the server flushed, every key may have)."""
        ...

    def tracking_lost(self) -> None:
        """Changes may go unannounced from now on, until `tracking_started` again."""
        ...


class TrackingLost(RedisError):
    """The tracking connection stopped answering."""


def _text(value: Any) -> str:
    # The URL may ask for decode_responses: replies are then str, else bytes.
    return value.decode() if isinstance(value, bytes) else str(value)


class TrackingListener:
    """Has Redis at `url` track the keys under `prefixes` (full server keys) for one target at a time;
    re-made after a pause whenever lost, until `stop`."""

    def __init__(self, url: str, prefixes: Sequence[str], *, ping_seconds: float = PING_SECONDS) -> None:
        if not prefixes:
            raise ValueError("tracking needs at least one key prefix")
        self._prefixes = list(prefixes)
        self._ping_seconds = ping_seconds
        options: dict[str, Any] = {
            "socket_timeout": SOCKET_TIMEOUT,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        }
        options.update(parse_url(url))
        # RESP2 whatever the URL or the client's default says: invalidations come as pub/sub messages.
        options.update(protocol=2, client_name="lgsp-tracking")
        self._pool = aioredis.ConnectionPool(**options)
        self._task: asyncio.Task[None] | None = None
        self.started = 0  # times tracking started (the first, and each reconnection): for tests and ops

    def start(self, target: TrackingTarget) -> None:
        """Start tracking for `target` in the background; idempotent."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run(target))

    async def stop(self) -> None:
        """Stop tracking and close the connection (the target is told it is lost); idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, target: TrackingTarget) -> None:
        pause, failing = FIRST_PAUSE_SECONDS, False
        while True:
            started = self.started
            connection: AbstractConnection | None = None
            try:
                connection = self._pool.make_connection()  # type: ignore[no-untyped-call]  # redis-py
                await self._track(connection, target)
            except (RedisError, OSError, TimeoutError) as exc:
                # Warned once per outage (or per refusal of a server without tracking), not per attempt.
                tracked = self.started > started
                log.log(
                    logging.WARNING if tracked or not failing else logging.DEBUG,
                    "key tracking on Redis %s (%s: %s); reads go to Redis meanwhile",
                    "lost" if tracked else "not started",
                    type(exc).__name__,
                    exc,
                )
                failing = True
            finally:
                target.tracking_lost()
                if connection is not None:
                    await connection.disconnect()
            if self.started > started:  # it was tracking: try again soon; else back off
                pause = FIRST_PAUSE_SECONDS
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)

    async def _track(self, connection: AbstractConnection, target: TrackingTarget) -> None:
        """Turn tracking on, then hand each announcement to `target` until the connection is lost."""
        await connection.connect()  # type: ignore[no-untyped-call]  # redis-py
        await connection.send_command("CLIENT", "ID")
        client_id = await connection.read_response()
        prefixes = [word for prefix in self._prefixes for word in ("PREFIX", prefix)]
        await connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", *prefixes)
        await connection.read_response()  # an error reply (no tracking on this server) raises
        await connection.send_command("SUBSCRIBE", CHANNEL)
        await connection.read_response()
        self.started += 1
        target.tracking_started()
        pinged = False
        while True:
            message = await connection.read_response(timeout=self._ping_seconds)
            if message is None:
                if pinged:
                    raise TrackingLost(f"no answer to a ping in {self._ping_seconds} s")
                await connection.send_command("PING")
                pinged = True
                continue
            kind = _text(message[0])
            if kind == "message":
                keys = message[2]
                target.invalidated(None if keys is None else [_text(key) for key in keys])
            elif kind == "pong":
                pinged = False
