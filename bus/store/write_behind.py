"""A store wrapper for answers that must not be lost to a Redis blink: a write refused as unavailable is
kept in this process and retried in the background, in order, until it lands.

Used for what the gateway writes after a call already had its effect (an idempotent call's answer, an
async transaction's outcome): failing that write would let a retry with the same key run the call a
second time, or leave a transaction "pending" for ever. Reads of a key with a write still held see the
held value, so a retry reaching this gateway during the outage gets the answer at once. Everything else
(`set_if_absent`, `incr`, `delete`, reads of other keys) still fails fast with BusUnavailable: the
gateway refuses a new idempotent call rather than run it without its key check.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from bus.errors import BusUnavailable
from bus.store.base import Store

log = logging.getLogger(__name__)

MAX_HELD_WRITES = 10_000
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 2.0


class WriteBehindStore(Store):
    """`store` with `set` made outage-proof (held and retried); at most `max_held` writes are held."""

    def __init__(self, store: Store, *, max_held: int = MAX_HELD_WRITES) -> None:
        self.store = store
        self.max_held = max_held
        # key → (value, ttl); an OrderedDict keeps the writes' order and a later write replaces an earlier.
        self._held: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._flusher: asyncio.Task[None] | None = None
        self.held_total = 0  # writes ever held, for tests and metrics

    @property
    def held(self) -> int:
        """Writes waiting for the store to come back."""
        return len(self._held)

    @property
    def reads_are_local(self) -> bool:
        """As the store's."""
        return self.store.reads_are_local

    async def connect(self) -> None:
        """Open the wrapped store."""
        await self.store.connect()

    async def close(self) -> None:
        """Try once more to land held writes, then close the wrapped store (what is still held is logged)."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self._flush_once()
        if self._held:
            log.error(
                "%d answer(s) could not be stored before shutdown: %s", len(self._held), list(self._held)
            )
        await self.store.close()

    async def get(self, key: str) -> bytes | None:
        """The held value if a write of `key` is waiting, else the store's."""
        held = self._held.get(key)
        if held is not None:
            return held[0]
        return await self.store.get(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Write now, or hold the write and land it after the outage."""
        if key not in self._held:
            try:
                await self.store.set(key, value, ttl=ttl)
                return
            except BusUnavailable:
                if len(self._held) >= self.max_held:
                    raise
        self._held[key] = (value, ttl)
        self._held.move_to_end(key)
        self.held_total += 1
        log.warning("store unreachable; holding the write of %s until it is back (%d held)", key, self.held)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's (fails fast during an outage); a key with a held write is not absent."""
        if key in self._held:
            return False
        return await self.store.set_if_absent(key, value, ttl=ttl)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """As the store's (fails fast during an outage); a held write of `found_key` is its value, and a
        key with a held write is not absent."""
        held = self._held.get(found_key)
        if held is not None:
            return held[0], False
        if key in self._held:
            return await self.store.get(found_key), False
        return await self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's (fails fast during an outage); against a held write of `key`, compared and
        replaced in what is held."""
        held = self._held.get(key)
        if held is None:
            return await self.store.replace_if(key, expected, value, ttl=ttl)
        if held[0] != expected:
            return False
        self._held[key] = (value, ttl)
        return True

    async def delete(self, key: str) -> bool:
        """Drop any held write of `key` and delete it from the store."""
        removed = await self.store.delete(key)
        return self._held.pop(key, None) is not None or removed

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
        """The write as `set` (held through an outage), the count as `incr` (fails fast: its refusal is
        raised once the write is held)."""
        if key in self._held:
            await self.set(key, value, ttl=ttl)
            return await self.store.incr(counter, ttl=counter_ttl)
        try:
            return await self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)
        except BusUnavailable:
            await self.set(key, value, ttl=ttl)
            raise

    async def _flush(self) -> None:
        pause = FIRST_RETRY_SECONDS
        while self._held:
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_SECONDS)
            if await self._flush_once():
                log.warning("store reachable again; held writes landed")

    async def _flush_once(self) -> bool:
        """Land held writes oldest first; False (the rest kept) at the first refusal."""
        while self._held:
            key, (value, ttl) = next(iter(self._held.items()))
            try:
                await self.store.set(key, value, ttl=ttl)
            except BusUnavailable:
                return False
            # A newer write of the same key may have replaced it while this one was in the air.
            if self._held.get(key) == (value, ttl):
                del self._held[key]
        return True
