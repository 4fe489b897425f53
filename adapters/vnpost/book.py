"""The orders posted through the bus, kept in the shared `Store`, so that webhooks can be checked."""

from __future__ import annotations

from bus.store.base import Store

KEY_PREFIX = "vnpost:orders:"
DEFAULT_TTL_S = 90 * 24 * 3600.0  # a parcel's journey, returns included, ends well within this


class OrderBook:
    """Which (customer, OrderNumber) pairs the bus posted; the webhook of any other is refused."""

    def __init__(self, store: Store, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.store = store
        self.ttl_s = ttl_s

    @staticmethod
    def key(customer_code: str, order_number: str) -> str:
        """The store key of one order."""
        return f"{KEY_PREFIX}{customer_code}:{order_number}"

    async def record(self, customer_code: str, order_number: str, item_code: str) -> None:
        """Remember a posted order and its item code."""
        await self.store.set(self.key(customer_code, order_number), item_code.encode(), ttl=self.ttl_s)

    async def item_code(self, customer_code: str, order_number: str) -> str | None:
        """The item code of an order posted through the bus, or None when it was not."""
        raw = await self.store.get(self.key(customer_code, order_number))
        return raw.decode("utf-8", "replace") if raw is not None else None
