"""The orders posted through the bus, kept in the shared `Store`, so that webhooks can be checked."""

from __future__ import annotations

from adapters.sdk.store_book import StoreBook

KEY_PREFIX = "vnpost:orders:"
DEFAULT_TTL_S = 90 * 24 * 3600.0  # a parcel's journey, returns included, ends well within this


class OrderBook(StoreBook):
    """Which (customer, OrderNumber) pairs the bus posted; the webhook of any other is refused."""

    key_prefix = KEY_PREFIX
    default_ttl_s = DEFAULT_TTL_S

    async def record(self, customer_code: str, order_number: str, item_code: str) -> None:
        """Remember a posted order and its item code."""
        await self.put(item_code.encode(), customer_code, order_number)

    async def item_code(self, customer_code: str, order_number: str) -> str | None:
        """The item code of an order posted through the bus, or None when it was not."""
        raw = await self.get(customer_code, order_number)
        return raw.decode("utf-8", "replace") if raw is not None else None
