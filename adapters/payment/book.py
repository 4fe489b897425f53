"""The book of payments initiated through the bus, kept in the shared `Store`.

The payment adapter writes an entry after the platform accepted an initiate; the callbacks router reads it
to know that a confirmation's reference is ours and that its amount is the one initiated. With several
processes the store must be shared (Redis), or the router will find nothing.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from bus.store.base import Store

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


class PaymentBook:
    """Initiated payments by (partner, reference), JSON in a `Store`."""

    def __init__(self, store: Store, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.store = store
        self.ttl_s = ttl_s

    @staticmethod
    def key(partner_code: str, reference: str) -> str:
        """The store key of one payment."""
        return f"{KEY_PREFIX}{partner_code}:{reference}"

    async def record(self, payment: InitiatedPayment) -> None:
        """Remember `payment` (a repeated initiate rewrites the same entry)."""
        key = self.key(payment.partner_code, payment.reference)
        await self.store.set(key, payment.model_dump_json().encode(), ttl=self.ttl_s)

    async def find(self, partner_code: str, reference: str) -> InitiatedPayment | None:
        """The payment initiated under this reference, or None (an unreadable entry counts as none)."""
        raw = await self.store.get(self.key(partner_code, reference))
        if raw is None:
            return None
        try:
            return InitiatedPayment.model_validate_json(raw)
        except ValidationError:
            return None
