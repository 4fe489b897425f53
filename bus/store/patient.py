"""A store wrapper for the worker: during a store outage each operation waits for the store to come back
(up to `patience` seconds) instead of failing.

A worker that failed on the store would nack its message, the broker would redeliver it at once, and a
few seconds of Redis outage would push every message in flight past its delivery limit into the DLQ;
or, failing after the provider answered, it would call the provider again on the redelivery. Waiting
holds the message unacked (prefetch bounds how many) and resumes exactly where the outage hit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bus.errors import BusUnavailable
from bus.store.base import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
PATIENCE_SECONDS = 120.0
FIRST_PAUSE_SECONDS = 0.1
MAX_PAUSE_SECONDS = 2.0


class PatientStore(Store):
    """`store` whose operations retry through BusUnavailable for up to `patience` seconds, then raise it."""

    def __init__(self, store: Store, *, patience: float = PATIENCE_SECONDS) -> None:
        self.store = store
        self.patience = patience
        self.waits = 0  # operations that had to wait for the store, for tests and metrics

    @property
    def reads_are_local(self) -> bool:
        """As the store's."""
        return self.store.reads_are_local

    async def connect(self) -> None:
        """Open the wrapped store (waiting for it as any operation)."""
        await self._patiently(self.store.connect)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.store.close()

    async def get(self, key: str) -> bytes | None:
        """As the store's, waiting out an outage."""
        return await self._patiently(lambda: self.store.get(key))

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """As the store's, waiting out an outage."""
        await self._patiently(lambda: self.store.set(key, value, ttl=ttl))

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's, waiting out an outage. A SET NX cut by the outage may have been applied with its
        reply lost: when a retry then finds the key holding exactly `value`, that write was this call's
        (exact when values are unique per caller, as leases' holders and markers' owners are)."""
        written, interrupted = await self._noting_interruption(
            lambda: self.store.set_if_absent(key, value, ttl=ttl)
        )
        if not written and interrupted:
            return await self._holds(key, value)
        return written

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's, waiting out an outage; a retried write whose first try landed (reply lost)
        finds `value` in place and counts as written, as for `set_if_absent`."""
        written, interrupted = await self._noting_interruption(
            lambda: self.store.replace_if(key, expected, value, ttl=ttl)
        )
        if not written and interrupted:
            return await self._holds(key, value)
        return written

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """As the store's, waiting out an outage; a retried step whose first try wrote `key` (reply
        lost) finds `value` in place and counts as written, as for `set_if_absent`."""
        (found, written), interrupted = await self._noting_interruption(
            lambda: self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)
        )
        if found is None and not written and interrupted:
            return None, await self._holds(key, value)
        return found, written

    async def delete(self, key: str) -> bool:
        """As the store's, waiting out an outage."""
        return await self._patiently(lambda: self.store.delete(key))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """As the store's, waiting out an outage (a retried INCR whose reply was lost counts twice)."""
        return await self._patiently(lambda: self.store.incr(key, amount, ttl=ttl))

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """As the store's, waiting out an outage (a retried step whose reply was lost counts twice)."""
        return await self._patiently(
            lambda: self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)
        )

    async def _noting_interruption(self, operation: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """`operation`'s result, waiting out an outage, and whether an outage cut a try (whose write may
        then have landed with its reply lost)."""
        interrupted = False

        async def attempt() -> T:
            nonlocal interrupted
            try:
                return await operation()
            except BusUnavailable:
                interrupted = True
                raise

        return await self._patiently(attempt), interrupted

    async def _holds(self, key: str, value: bytes) -> bool:
        """Whether `key` holds exactly `value`: this caller's write, where values are unique per caller."""
        return await self._patiently(lambda: self.store.get(key)) == value

    async def _patiently(self, operation: Callable[[], Awaitable[T]]) -> T:
        def waiting(refusal: BusUnavailable) -> None:
            self.waits += 1
            log.warning("store unreachable (%s); waiting up to %.0f s for it", refusal, self.patience)

        return await patiently(operation, self.patience, waiting)


async def patiently(
    operation: Callable[[], Awaitable[T]], patience: float, waiting: Callable[[BusUnavailable], None]
) -> T:
    """`operation`'s result, retried through BusUnavailable (pauses doubling from 0.1 s to 2 s) for up to
    `patience` seconds, then its BusUnavailable; `waiting` is told of the first refusal, once."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    pause = FIRST_PAUSE_SECONDS
    waited = False
    while True:
        try:
            return await operation()
        except BusUnavailable as refusal:
            if loop.time() + pause > give_up:
                raise
            if not waited:
                waited = True
                waiting(refusal)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
