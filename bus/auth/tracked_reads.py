"""Authentication's reads (API keys, access rights) kept in the gateway's memory while Redis tracks them.

A call read its client's run-time keys and the rights from Redis, one wait each call though they change
only by an operator's hand. `TrackedReads` keeps what it read, as long as a `TrackingListener` has Redis
announce every change of those keys: an announced key is forgotten, so the next read goes to Redis.
Correct because:
- nothing is kept before tracking is on, and everything is forgotten whenever it may have missed an
  announcement (connection lost or re-made, pings unanswered, the server flushed);
- a read under way while any announcement (or loss) arrives is not kept: its value may be older than the
  change (a generation counter, moved by each, is compared before keeping);
- this process's own writes forget the key at once, so its revocation holds for its very next call;
  another gateway's holds here once the announcement arrives (a loopback message: well under a
  millisecond), or within two pings if this connection went silent.
"""

from __future__ import annotations

from collections.abc import Sequence

from bus.auth.keyring import KEYS_PREFIX
from bus.auth.rights import RIGHTS_KEY
from bus.redis_tracking import TrackingListener
from bus.store.base import Store
from bus.store.redis import RedisStore

# What authentication reads on every call.
TRACKED_PREFIXES = (KEYS_PREFIX, RIGHTS_KEY)
# A bound on what is kept (keys are per catalog client, so far more than needed); emptied when full.
MAX_ENTRIES = 4096


class TrackedReads(Store):
    """`store` whose reads of keys under `prefixes` are answered from memory while `listener` tracks them;
    every other operation goes to `store`, and a write also forgets the key. `server_prefix` is what
    `store` puts before its keys (the listener announces full server keys)."""

    def __init__(
        self, store: Store, listener: TrackingListener, *, prefixes: Sequence[str], server_prefix: str
    ) -> None:
        self.store = store
        self._listener = listener
        self._prefixes = tuple(prefixes)
        self._server_prefix = server_prefix
        self._values: dict[str, bytes | None] = {}
        self._tracking = False
        self._generation = 0  # moved by every announcement, loss and start: a read spanning one is not kept
        self.hits = 0  # reads answered from memory, for tests and metrics

    @property
    def reads_are_local(self) -> bool:
        """True: a key once read is answered from memory (until it changes, or tracking is lost)."""
        return True

    @property
    def tracking(self) -> bool:
        """Whether reads are kept now (Redis is tracking them)."""
        return self._tracking

    async def connect(self) -> None:
        """Open the store and start tracking."""
        await self.store.connect()
        self._listener.start(self)

    async def close(self) -> None:
        """Stop tracking (forgetting everything) and close the store."""
        await self._listener.stop()
        await self.store.close()

    async def get(self, key: str) -> bytes | None:
        """The value kept, or the store's (kept when tracked and nothing was announced meanwhile)."""
        values = self._values
        if key in values:
            self.hits += 1
            return values[key]
        generation = self._generation
        value = await self.store.get(key)
        if self._tracking and generation == self._generation and key.startswith(self._prefixes):
            if len(values) >= MAX_ENTRIES:
                values.clear()
            values[key] = value
        return value

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """As the store's; the key forgotten."""
        try:
            await self.store.set(key, value, ttl=ttl)
        finally:
            self._forget(key)

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's; the key forgotten."""
        try:
            return await self.store.set_if_absent(key, value, ttl=ttl)
        finally:
            self._forget(key)

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's; the key forgotten."""
        try:
            return await self.store.replace_if(key, expected, value, ttl=ttl)
        finally:
            self._forget(key)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """As the store's; the key written forgotten."""
        try:
            return await self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)
        finally:
            self._forget(key)

    async def delete(self, key: str) -> bool:
        """As the store's; the key forgotten."""
        try:
            return await self.store.delete(key)
        finally:
            self._forget(key)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """As the store's; the key forgotten."""
        try:
            return await self.store.incr(key, amount, ttl=ttl)
        finally:
            self._forget(key)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """As the store's; both keys forgotten."""
        try:
            return await self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)
        finally:
            self._forget(key)
            self._forget(counter)

    def tracking_started(self) -> None:
        """From now on reads may be kept."""
        self._forget_all()
        self._tracking = True

    def invalidated(self, keys: Sequence[str] | None) -> None:
        """Forget the announced keys (everything on a flush)."""
        if keys is None:
            self._forget_all()
            return
        self._generation += 1
        prefix = self._server_prefix
        for key in keys:
            if key.startswith(prefix):
                self._values.pop(key[len(prefix) :], None)

    def tracking_lost(self) -> None:
        """Forget everything and keep nothing until tracking starts again."""
        self._tracking = False
        self._forget_all()

    def _forget(self, key: str) -> None:
        self._generation += 1
        self._values.pop(key, None)

    def _forget_all(self) -> None:
        self._generation += 1
        self._values.clear()


def tracked_auth_reads(store: Store, url: str) -> Store:
    """`store` with authentication's reads kept in memory under Redis tracking when it is a RedisStore
    (at `url`); a store in this process's memory as it is."""
    if not isinstance(store, RedisStore):
        return store
    listener = TrackingListener(url, [store.prefix + prefix for prefix in TRACKED_PREFIXES])
    return TrackedReads(store, listener, prefixes=TRACKED_PREFIXES, server_prefix=store.prefix)
