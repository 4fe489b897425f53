"""The shared store on Redis: one connection pool, every key under a configurable prefix."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError

from bus.group_commit import GroupCommit
from bus.redis_client import LazyRedis, redis_outage_as_unavailable, run_script
from bus.store.base import Store
from bus.store.memory import check_entry

# Keys read in one MGET at most.
READ_BATCH = 128

# INCRBY and the expiry must be one step, or two racing creators could both (or neither) set the ttl.
_INCR_WITH_TTL = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and ARGV[2] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

# The counter's INCRBY (and its expiry, as _INCR_WITH_TTL) before the SET: a counter that is not an
# integer fails the script with nothing written. KEYS: counter, key; ARGV: counter px or '', value, px or ''.
_INCR_AND_SET = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local total = redis.call('INCRBY', KEYS[1], 1)
if created and ARGV[1] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
if ARGV[3] == '' then
    redis.call('SET', KEYS[2], ARGV[2])
else
    redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
return total
"""

# Compare and write in one step: a check-then-set from the client could overwrite a rival's write.
_REPLACE_IF = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return 0
end
if ARGV[3] == '' then
    redis.call('SET', KEYS[1], ARGV[2])
else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""

# Pairs of keys (found_key, key), ARGV pairs (value, px or ''): for each, the found value, else 1 or 0
# for whether SET NX wrote. Many callers' pairs in one call: one round trip for the lot.
_GET_ELSE_SET_IF_ABSENT = """
local answers = {}
for i = 1, #KEYS, 2 do
    local found = redis.call('GET', KEYS[i])
    if found then
        answers[#answers + 1] = found
    else
        local written
        if ARGV[i + 1] == '' then
            written = redis.call('SET', KEYS[i + 1], ARGV[i], 'NX')
        else
            written = redis.call('SET', KEYS[i + 1], ARGV[i], 'PX', ARGV[i + 1], 'NX')
        end
        answers[#answers + 1] = written and 1 or 0
    end
end
return answers
"""

# A get_else_set_if_absent waiting for its round trip: found_key, key, value, px or ''.
_Claim = tuple[str, str, bytes, int | str]


def _milliseconds(ttl: float | None) -> int | None:
    # Redis counts expiry in whole milliseconds; round up so a tiny ttl never becomes "no expiry".
    return None if ttl is None else max(1, math.ceil(ttl * 1000))


class RedisStore(Store):
    """A `Store` on Redis (redis.asyncio); `connect` checks the server, operations connect lazily.
    An operation Redis cannot serve (down, cut, silent) raises BusUnavailable within the socket time-out."""

    def __init__(
        self, url: str, *, prefix: str = "lgsp:", max_connections: int = 64, pool_timeout: float = 5.0
    ) -> None:
        self._prefix = prefix
        self._redis = LazyRedis(url, max_connections=max_connections, pool_timeout=pool_timeout)
        # Reads of concurrent calls share round trips: one MGET for those asked while one is under way.
        self._reads: GroupCommit[str, bytes | str | None] = GroupCommit(
            self._read_batch, max_batch=READ_BATCH
        )
        # Likewise the get-else-set-if-absent steps: one script call for those asked meanwhile.
        self._claims: GroupCommit[_Claim, bytes | str | int] = GroupCommit(
            self._claim_batch, max_batch=READ_BATCH
        )

    @property
    def reads_are_local(self) -> bool:
        """False: every read waits on the server."""
        return False

    @property
    def prefix(self) -> str:
        """The text put before every key."""
        return self._prefix

    async def connect(self) -> None:
        """Open the pool and ping the server, so a wrong URL fails here (BusUnavailable); idempotent."""
        with redis_outage_as_unavailable("connecting"):
            await self._redis.ping()

    async def close(self) -> None:
        """Finish the reads under way, close the pool; idempotent, and a later operation opens a fresh one."""
        await self._reads.drain()
        await self._claims.drain()
        await self._redis.close()

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired, as read after this call began (with the reads
        other tasks ask for meanwhile, in one MGET)."""
        check_entry(key, None)
        with redis_outage_as_unavailable(f"reading {key!r}"):
            value = await self._reads.submit(self._prefix + key)
        # A URL may ask for decode_responses; the contract is bytes either way.
        return value.encode() if isinstance(value, str) else value

    @property
    def read_calls(self) -> int:
        """Round trips `get` made so far: gets / read_calls is the sharing achieved."""
        return self._reads.batches

    async def _read_batch(self, keys: Sequence[str]) -> list[bytes | str | None]:
        return await self._redis.client().mget(keys)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Write `value`, replacing any previous one and its expiry."""
        check_entry(key, ttl, value)
        with redis_outage_as_unavailable(f"writing {key!r}"):
            await self._redis.client().set(self._prefix + key, value, px=_milliseconds(ttl))

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """Write only when the key is absent (SET NX); True when this call wrote it."""
        check_entry(key, ttl, value)
        with redis_outage_as_unavailable(f"writing {key!r}"):
            written = await self._redis.client().set(
                self._prefix + key, value, px=_milliseconds(ttl), nx=True
            )
        return bool(written)

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """Write `value` only when the key holds exactly `expected` (one Lua step); True when written."""
        check_entry(key, ttl, value)
        check_entry(key, None, expected)
        expiry = _milliseconds(ttl)
        args = [expected, value, "" if expiry is None else expiry]
        with redis_outage_as_unavailable(f"writing {key!r}"):
            written = await self._run(_REPLACE_IF, [self._prefix + key], args)
        return bool(written)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """`found_key`'s value and False when it has one; else None and whether SET NX wrote `key` (one
        Lua step, with the steps other tasks ask for meanwhile in the same call)."""
        check_entry(found_key, None)
        check_entry(key, ttl, value)
        expiry = _milliseconds(ttl)
        claim = (self._prefix + found_key, self._prefix + key, value, "" if expiry is None else expiry)
        with redis_outage_as_unavailable(f"reading {found_key!r} else writing {key!r}"):
            answer = await self._claims.submit(claim)
        if isinstance(answer, int):
            return None, answer == 1
        return (answer.encode() if isinstance(answer, str) else answer), False

    async def _claim_batch(self, claims: Sequence[_Claim]) -> list[bytes | str | int]:
        keys = [name for found_key, key, _, _ in claims for name in (found_key, key)]
        args = [arg for _, _, value, expiry in claims for arg in (value, expiry)]
        answers: list[bytes | str | int] = await self._run(_GET_ELSE_SET_IF_ABSENT, keys, args)
        return answers

    async def delete(self, key: str) -> bool:
        """Remove the key; True when it existed."""
        check_entry(key, None)
        with redis_outage_as_unavailable(f"deleting {key!r}"):
            removed: int = await self._redis.client().delete(self._prefix + key)
        return removed > 0

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add `amount` atomically and return the new value; `ttl` applies only when the key is created."""
        check_entry(key, ttl)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"incr amount must be an int, got {amount!r}")
        expiry = _milliseconds(ttl)
        args = [amount, "" if expiry is None else expiry]
        try:
            with redis_outage_as_unavailable(f"counting {key!r}"):
                total = await self._run(_INCR_WITH_TTL, [self._prefix + key], args)
        except ResponseError as error:
            if "not an integer" in str(error):
                raise ValueError(f"value at {key!r} is not an integer") from None
            raise
        return int(total)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """`incr(counter, ttl=counter_ttl)` by one and `set(key, value, ttl=ttl)` in one Lua step; the new
        count."""
        check_entry(key, ttl, value)
        check_entry(counter, counter_ttl)
        expiry, counter_expiry = _milliseconds(ttl), _milliseconds(counter_ttl)
        keys = [self._prefix + counter, self._prefix + key]
        args = ["" if counter_expiry is None else counter_expiry, value, "" if expiry is None else expiry]
        try:
            with redis_outage_as_unavailable(f"writing {key!r} and counting {counter!r}"):
                total = await self._run(_INCR_AND_SET, keys, args)
        except ResponseError as error:
            if "not an integer" in str(error):
                raise ValueError(f"value at {counter!r} is not an integer") from None
            raise
        return int(total)

    async def _run(self, source: str, keys: Sequence[str], args: Sequence[object]) -> Any:
        """The Lua `source`'s reply, by EVALSHA straight on the client (`run_script`)."""
        return await run_script(self._redis.client(), self._redis.script(source), keys, args)
