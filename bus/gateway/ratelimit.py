"""Token-bucket quotas per client and per service, checked together, all or nothing.

`MemoryRateLimiter` serves one process; `RedisRateLimiter` is shared by every gateway replica (one Lua
script, so the check and the take are one atomic step, timed by the Redis server's own clock).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlparse

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from bus.catalog import ClientSpec, ServiceSpec
from bus.errors import RateLimited
from bus.redis_client import CONNECT_TIMEOUT, REDIS_OUTAGE, SOCKET_TIMEOUT, prompt_writes, run_script

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quota:
    """One bucket: `rate` tokens a second, holding at most `burst`."""

    key: str
    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not self.rate > 0 or self.burst < 1:
            raise ValueError(f"quota {self.key!r} needs rate > 0 and burst ≥ 1: {self.rate}, {self.burst}")


def quotas_for(client: ClientSpec, service: ServiceSpec) -> list[Quota]:
    """The catalog's quotas that apply to `client` calling `service` (none when neither declares one)."""
    found = []
    for kind, spec in (("client", client), ("service", service)):
        rate = spec.rate_limit_per_second
        if rate is not None:
            burst = spec.rate_limit_burst or max(1, math.ceil(rate))
            found.append(Quota(f"{kind}:{spec.id}", rate, burst))
    return found


@runtime_checkable
class RateLimiter(Protocol):
    """Takes one token from every bucket, or from none."""

    async def acquire(self, quotas: Sequence[Quota]) -> float:
        """0.0 when every bucket gave a token; otherwise the seconds until all could, and nothing taken."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


async def enforce(limiter: RateLimiter, quotas: Sequence[Quota]) -> None:
    """Take the tokens, or raise RateLimited carrying Retry-After."""
    if not quotas:
        return
    wait = await limiter.acquire(quotas)
    if wait > 0:
        names = ", ".join(q.key for q in quotas)
        raise RateLimited(f"rate limit reached ({names}); retry in {wait:.2f} s", retry_after=wait)


class MemoryRateLimiter(RateLimiter):
    """Buckets in this process; one per catalog client and service, so memory is bounded by the catalog."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)

    async def acquire(self, quotas: Sequence[Quota]) -> float:
        """Refill, then take one token from each bucket if all have one (no await: atomic)."""
        now = self._clock()
        refilled = {}
        wait = 0.0
        for quota in quotas:
            tokens, at = self._buckets.get(quota.key, (float(quota.burst), now))
            tokens = min(float(quota.burst), tokens + max(0.0, now - at) * quota.rate)
            refilled[quota.key] = tokens
            if tokens < 1:
                wait = max(wait, (1 - tokens) / quota.rate)
        if wait > 0:
            return wait
        for quota in quotas:
            self._buckets[quota.key] = (refilled[quota.key] - 1, now)
        return 0.0

    async def close(self) -> None:
        """Nothing to release."""


# KEYS: buckets; ARGV: rate, burst pairs. Each bucket is a hash {tokens, at} that expires once full again.
_TAKE_ALL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local refilled = {}
local wait = 0
for i, key in ipairs(KEYS) do
    local rate = tonumber(ARGV[2 * i - 1])
    local burst = tonumber(ARGV[2 * i])
    local state = redis.call('HMGET', key, 'tokens', 'at')
    local tokens = tonumber(state[1]) or burst
    local at = tonumber(state[2]) or now
    tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
    refilled[i] = tokens
    if tokens < 1 then wait = math.max(wait, (1 - tokens) / rate) end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
    local rate = tonumber(ARGV[2 * i - 1])
    local burst = tonumber(ARGV[2 * i])
    redis.call('HSET', key, 'tokens', tostring(refilled[i] - 1), 'at', tostring(now))
    redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return '0'
"""


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every gateway using the same URL and prefix.

    While Redis is unreachable the quotas are enforced by this gateway alone (in-process buckets): a
    quota holds per replica rather than across them, instead of every call failing with the store."""

    def __init__(self, url: str, *, prefix: str = "lgsp:rate:", max_connections: int = 32) -> None:
        if urlparse(url).scheme not in ("redis", "rediss"):
            raise ValueError(f"RedisRateLimiter needs a redis:// or rediss:// URL, got {url!r}")
        self._url = url
        self._prefix = prefix
        self._max_connections = max_connections
        self._client: aioredis.Redis | None = None
        self._script: AsyncScript | None = None
        self._local = MemoryRateLimiter()
        self.local_decisions = 0  # calls limited by the in-process buckets during an outage

    async def acquire(self, quotas: Sequence[Quota]) -> float:
        """One atomic script run: refill, check all, take from all or none."""
        client, script = self._client, self._script
        if client is None or script is None:
            pool = aioredis.BlockingConnectionPool.from_url(
                self._url,
                max_connections=self._max_connections,
                socket_timeout=SOCKET_TIMEOUT,
                socket_connect_timeout=CONNECT_TIMEOUT,
            )
            # Writes without a task of their own (prompt_writes); the script by EVALSHA (run_script).
            client = self._client = aioredis.Redis.from_pool(prompt_writes(pool))
            script = self._script = client.register_script(_TAKE_ALL)
        args: list[float | int] = []
        for quota in quotas:
            args.extend((quota.rate, quota.burst))
        try:
            answer = await run_script(client, script, [self._prefix + q.key for q in quotas], args)
        except REDIS_OUTAGE as exc:
            if self.local_decisions % 1000 == 0:
                log.warning("rate limits enforced per gateway: Redis unreachable (%s)", type(exc).__name__)
            self.local_decisions += 1
            return await self._local.acquire(quotas)
        return float(answer)

    async def close(self) -> None:
        """Close the pool; a later call opens a fresh one."""
        client, self._client, self._script = self._client, None, None
        if client is not None:
            await client.aclose()


def make_rate_limiter(redis_url: str | None, *, prefix: str = "lgsp:rate:") -> RateLimiter:
    """Redis buckets when a Redis URL is configured (shared by replicas), else in-process ones."""
    if redis_url is None or redis_url == "memory://":
        return MemoryRateLimiter()
    return RedisRateLimiter(redis_url, prefix=prefix)
