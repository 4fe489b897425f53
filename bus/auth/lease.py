"""A short lease in the Store, so two gateway replicas never interleave a read-modify-write."""

from __future__ import annotations

from bus.errors import Overloaded
from bus.store.base import Store

LEASE_SECONDS = 5.0


class StoreLease:
    """`async with StoreLease(store, key, what)`: held until the block ends (or expires after 5 s)."""

    def __init__(self, store: Store, key: str, what: str) -> None:
        self._store = store
        self._key = key
        self._what = what

    async def __aenter__(self) -> None:
        if not await self._store.set_if_absent(self._key, b"1", ttl=LEASE_SECONDS):
            raise Overloaded(f"another {self._what} is in progress", retry_after=LEASE_SECONDS)

    async def __aexit__(self, *exc: object) -> None:
        await self._store.delete(self._key)
