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

    # Each operation tries the store once directly and only on a refusal builds the retry (a closure
    # over its arguments) and waits: the worker's four store steps per message pay no retry machinery
    # while the store answers. The patience runs from before that first try, as it always did.

    async def get(self, key: str) -> bytes | None:
        """As the store's, waiting out an outage."""
        give_up = self._give_up()
        try:
            return await self.store.get(key)
        except BusUnavailable as refusal:
            return await self._wait_out(lambda: self.store.get(key), refusal, give_up)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """As the store's, waiting out an outage."""
        give_up = self._give_up()
        try:
            await self.store.set(key, value, ttl=ttl)
        except BusUnavailable as refusal:
            await self._wait_out(lambda: self.store.set(key, value, ttl=ttl), refusal, give_up)

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's, waiting out an outage. A SET NX cut by the outage may have been applied with its
        reply lost: when a retry then finds the key holding exactly `value`, that write was this call's
        (exact when values are unique per caller, as leases' holders and markers' owners are)."""
        give_up = self._give_up()
        try:
            return await self.store.set_if_absent(key, value, ttl=ttl)
        except BusUnavailable as refusal:
            retry = lambda: self.store.set_if_absent(key, value, ttl=ttl)  # noqa: E731
            written = await self._wait_out(retry, refusal, give_up)
        return written or await self._holds(key, value)

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """As the store's, waiting out an outage; a retried write whose first try landed (reply lost)
        finds `value` in place and counts as written, as for `set_if_absent`."""
        give_up = self._give_up()
        try:
            return await self.store.replace_if(key, expected, value, ttl=ttl)
        except BusUnavailable as refusal:
            retry = lambda: self.store.replace_if(key, expected, value, ttl=ttl)  # noqa: E731
            written = await self._wait_out(retry, refusal, give_up)
        return written or await self._holds(key, value)

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """As the store's, waiting out an outage; a retried step whose first try wrote `key` (reply
        lost) finds `value` in place and counts as written, as for `set_if_absent`."""
        give_up = self._give_up()
        try:
            return await self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)
        except BusUnavailable as refusal:
            retry = lambda: self.store.get_else_set_if_absent(found_key, key, value, ttl=ttl)  # noqa: E731
            found, written = await self._wait_out(retry, refusal, give_up)
        if found is None and not written:
            return None, await self._holds(key, value)
        return found, written

    async def delete(self, key: str) -> bool:
        """As the store's, waiting out an outage."""
        give_up = self._give_up()
        try:
            return await self.store.delete(key)
        except BusUnavailable as refusal:
            return await self._wait_out(lambda: self.store.delete(key), refusal, give_up)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """As the store's, waiting out an outage (a retried INCR whose reply was lost counts twice)."""
        give_up = self._give_up()
        try:
            return await self.store.incr(key, amount, ttl=ttl)
        except BusUnavailable as refusal:
            return await self._wait_out(lambda: self.store.incr(key, amount, ttl=ttl), refusal, give_up)

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
        give_up = self._give_up()
        try:
            return await self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)
        except BusUnavailable as refusal:
            retry = lambda: self.store.set_and_incr(key, value, counter, ttl=ttl, counter_ttl=counter_ttl)  # noqa: E731
            return await self._wait_out(retry, refusal, give_up)

    async def _holds(self, key: str, value: bytes) -> bool:
        """Whether `key` holds exactly `value`: this caller's write, where values are unique per caller."""
        return await self._patiently(lambda: self.store.get(key)) == value

    def _give_up(self) -> float:
        return asyncio.get_running_loop().time() + self.patience

    def _waiting(self, refusal: BusUnavailable) -> None:
        self.waits += 1
        log.warning("store unreachable (%s); waiting up to %.0f s for it", refusal, self.patience)

    async def _patiently(self, operation: Callable[[], Awaitable[T]]) -> T:
        return await patiently(operation, self.patience, self._waiting)

    async def _wait_out(
        self, operation: Callable[[], Awaitable[T]], refusal: BusUnavailable, give_up: float
    ) -> T:
        return await wait_out(operation, refusal, give_up, self._waiting)


async def patiently(
    operation: Callable[[], Awaitable[T]], patience: float, waiting: Callable[[BusUnavailable], None]
) -> T:
    """`operation`'s result, retried through BusUnavailable (pauses doubling from 0.1 s to 2 s) for up to
    `patience` seconds, then its BusUnavailable; `waiting` is told of the first refusal, once."""
    give_up = asyncio.get_running_loop().time() + patience
    try:
        return await operation()
    except BusUnavailable as refusal:
        return await wait_out(operation, refusal, give_up, waiting)


async def wait_out(
    operation: Callable[[], Awaitable[T]],
    refusal: BusUnavailable,
    give_up: float,
    waiting: Callable[[BusUnavailable], None],
) -> T:
    """After `operation`'s first try was refused with `refusal`: `operation` retried (pauses doubling
    from 0.1 s to 2 s) until it answers, or until the next pause would pass the loop time `give_up`,
    when the last refusal is raised; `waiting` is told of the first refusal, once."""
    loop = asyncio.get_running_loop()
    pause = FIRST_PAUSE_SECONDS
    if loop.time() + pause > give_up:
        raise refusal
    waiting(refusal)
    while True:
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE_SECONDS)
        try:
            return await operation()
        except BusUnavailable as again:
            if loop.time() + pause > give_up:
                raise
            refusal = again
