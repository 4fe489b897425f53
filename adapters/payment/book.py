"""The book of payments initiated through the bus, kept in the shared `Store`.

The payment adapter writes an entry after the platform accepted an initiate; its callback router (mounted
by the gateway) reads it to know that a confirmation's reference is ours and that its amount is the one
initiated. With several processes the store must be shared (Redis), or the router will find nothing.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.sdk.store_book import StoreBook

KEY_PREFIX = "payments:initiated:"
DEFAULT_TTL_S = 30 * 24 * 3600.0  # confirmations come within minutes; reconciliation within days


class InitiatedPayment(BaseModel):
    """What the bus remembers of one initiated payment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner_code: str
    reference: str
    amount_vnd: int
    description: str
    dossier_number: str
    initiated_at: datetime


class PaymentBook(StoreBook):
    """Initiated payments by (partner, reference), JSON in a `Store`."""

    key_prefix = KEY_PREFIX
    default_ttl_s = DEFAULT_TTL_S

    async def record(self, payment: InitiatedPayment) -> None:
        """Remember `payment` (a repeated initiate rewrites the same entry)."""
        await self.put(payment.model_dump_json().encode(), payment.partner_code, payment.reference)

    async def find(self, partner_code: str, reference: str) -> InitiatedPayment | None:
        """The payment initiated under this reference, or None (an unreadable entry counts as none)."""
        raw = await self.get(partner_code, reference)
        if raw is None:
            return None
        try:
            return InitiatedPayment.model_validate_json(raw)
        except ValidationError:
            return None
