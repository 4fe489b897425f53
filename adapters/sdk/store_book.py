"""A book of entries an adapter keeps in the shared `Store` for a later callback to check.

The payment adapter books the payments it initiates, the VNPost adapter the orders it posts; their
callback routers read the same books through the shared store (`InboundContext.store`). Each book has
its own key prefix and time to live.
"""

from __future__ import annotations

from typing import ClassVar, Self

from bus.store import Store, make_store


class StoreBook:
    """Entries under one key prefix in a `Store`, each kept for `ttl_s` seconds."""

    key_prefix: ClassVar[str]
    default_ttl_s: ClassVar[float]

    def __init__(self, store: Store, *, ttl_s: float | None = None, owns_store: bool = False) -> None:
        ttl_s = self.default_ttl_s if ttl_s is None else ttl_s
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.store = store
        self.ttl_s = ttl_s
        self._owns_store = owns_store

    @classmethod
    def on(cls, store: Store | None, store_url: str | None, *, ttl_s: float | None = None) -> Self:
        """A book on `store`, or on a store made from `store_url` that the book then owns and closes."""
        if store is not None:
            return cls(store, ttl_s=ttl_s)
        return cls(make_store(store_url), ttl_s=ttl_s, owns_store=True)

    def key(self, *parts: str) -> str:
        """The store key of the entry named by `parts`."""
        return self.key_prefix + ":".join(parts)

    async def connect(self) -> None:
        """Connect the store."""
        await self.store.connect()

    async def close(self) -> None:
        """Close the store when the book made it; a shared one belongs to its owner."""
        if self._owns_store:
            await self.store.close()

    async def put(self, value: bytes, *parts: str) -> None:
        """Write the entry named by `parts` (a repeat rewrites it) with the book's time to live."""
        await self.store.set(self.key(*parts), value, ttl=self.ttl_s)

    async def get(self, *parts: str) -> bytes | None:
        """The entry named by `parts`, or None."""
        return await self.store.get(self.key(*parts))
