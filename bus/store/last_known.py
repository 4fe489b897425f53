"""A store wrapper for reads that may be served stale for a while: authentication's run-time keys and the
access rights. During a store outage a key read before it is answered with its last value for up to
`max_age` seconds after that read; a key never read, or read too long ago, fails with BusUnavailable.

Why this is safe: keys and rights change only through the admin API, which needs the store, so nothing
can change them during the outage; the staleness is bounded by how long ago this gateway last read them.
Writes and leases pass straight through (and fail fast during an outage).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bus.errors import BusUnavailable
from bus.store.base import Store

MAX_AGE_SECONDS = 60.0


class LastKnownStore(Store):
    """`store` whose `get` falls back to the last value it read, for up to `max_age` seconds."""

    def __init__(
        self, store: Store, *, max_age: float = MAX_AGE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.max_age = max_age
        self._clock = clock
        self._last: dict[str, tuple[float, bytes | None]] = {}
        self.stale_reads = 0  # reads answered from memory during an outage

    @property
    def reads_are_local(self) -> bool:
        """As the store's."""
        return self.store.reads_are_local

    async def connect(self) -> None:
        """Open the wrapped store."""
        await self.store.connect()

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.store.close()

    async def get(self, key: str) -> bytes | None:
        """The store's value; during an outage the last one read, if read within `max_age` seconds."""
        try:
            value = await self.store.get(key)
        except BusUnavailable:
            known = self._last.get(key)
            if known is None or self._clock() - known[0] > self.max_age:
                raise
            self.stale_reads += 1
            return known[1]
        self._last[key] = (self._clock(), value)
        return value

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """As the store's."""
        await self.store.set(key, value, ttl=ttl)
        self._last.pop(key, None)

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's."""
        return await self.store.set_if_absent(key, value, ttl=ttl)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """As the store's (a write: no stale answer during an outage)."""
        return await self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's."""
        self._last.pop(key, None)
        return await self.store.replace_if(key, expected, value, ttl=ttl)

    async def delete(self, key: str) -> bool:
        """As the store's."""
        self._last.pop(key, None)
        return await self.store.delete(key)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """As the store's."""
        return await self.store.incr(key, amount, ttl=ttl)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """As the store's."""
        total = await self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)
        self._last.pop(key, None)
        return total
