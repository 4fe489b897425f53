"""The platform's book of payments: created by initiate, ended once by the payer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel

from services.payment.codes import PaymentCode, PaymentError
from services.payment.models import TIMESTAMP_FORMAT, InitRequest, Outcome, TransactionStatus

if TYPE_CHECKING:
    from services.payment.refunds import Refund

# Banks the simulated intermediary routes through (their usual short codes).
BANK_CODES = ("VCB", "BIDV", "CTG", "AGRIBANK", "TCB", "MB", "ACB", "VPB")


class PaymentState(StrEnum):
    """Where a payment is in its life."""

    INITIATED = "initiated"
    SUCCEEDED = "succeeded"
    PENDING = "pending"  # the intermediary timed out: only reconciliation will tell, never a callback
    FAILED = "failed"
    ABANDONED = "abandoned"
    REFUNDED = "refunded"  # it had succeeded, then the money went back
    CANCELLED = "cancelled"  # refunded before it was paid: it can no longer be paid

    @property
    def trang_thai_gd(self) -> TransactionStatus:
        """The TrangThaiGD a status query reports."""
        if self is PaymentState.SUCCEEDED:
            return TransactionStatus.SUCCESS
        if self is PaymentState.REFUNDED:
            return TransactionStatus.REFUNDED
        if self in (PaymentState.FAILED, PaymentState.ABANDONED, PaymentState.CANCELLED):
            return TransactionStatus.FAILED
        return TransactionStatus.PENDING


@dataclass
class Payment:
    """One payment, keyed by (MaDoiTac, MaThamChieu)."""

    request: InitRequest
    token: str
    state: PaymentState = PaymentState.INITIATED
    transaction_id: str | None = None
    bank_code: str | None = None
    completed_at: str | None = None
    refund: Refund | None = None

    @property
    def partner(self) -> str:
        """MaDoiTac."""
        return self.request.MaDoiTac

    @property
    def reference(self) -> str:
        """MaThamChieu."""
        return self.request.MaThamChieu


class Effects(BaseModel):
    """What the platform has done, for tests and demos (GET /_control/effects)."""

    payments_created: int = 0
    payments_completed: int = 0
    payments_succeeded: int = 0
    payments_pending: int = 0
    callbacks_scheduled: int = 0
    callbacks_sent: int = 0
    callbacks_attempts: int = 0
    callbacks_lost: int = 0
    callbacks_failed: int = 0
    callbacks_dropped: int = 0
    refunds: int = 0
    receipts_cancelled: int = 0
    payments_cancelled: int = 0


class Ledger:
    """In-memory payments by reference and by payment-page token."""

    def __init__(self, rng: random.Random, stay_pending_rate: float, effects: Effects) -> None:
        self._rng = rng
        self._stay_pending_rate = stay_pending_rate
        self._effects = effects
        self._by_reference: dict[tuple[str, str], Payment] = {}
        self._by_token: dict[str, Payment] = {}

    def initiate(self, request: InitRequest) -> Payment:
        """Record a new payment, or return the same one for a repeated identical initiate."""
        existing = self._by_reference.get((request.MaDoiTac, request.MaThamChieu))
        if existing is not None:
            if existing.request.SoTien != request.SoTien:
                raise PaymentError(
                    PaymentCode.WRONG_AMOUNT,
                    f"MaThamChieu {request.MaThamChieu} was initiated with SoTien {existing.request.SoTien}",
                )
            if existing.state is not PaymentState.INITIATED:
                raise PaymentError(PaymentCode.DUPLICATE_REFERENCE, request.MaThamChieu)
            return existing
        payment = Payment(request=request, token=f"{self._rng.getrandbits(128):032x}")
        self._by_reference[(request.MaDoiTac, request.MaThamChieu)] = payment
        self._by_token[payment.token] = payment
        self._effects.payments_created += 1
        return payment

    def find(self, partner: str, reference: str) -> Payment:
        """The payment of this partner's reference, or UNKNOWN_REFERENCE."""
        payment = self._by_reference.get((partner, reference))
        if payment is None:
            raise PaymentError(PaymentCode.UNKNOWN_REFERENCE, reference)
        return payment

    def find_by_token(self, token: str) -> Payment:
        """The payment behind a payment-page token, or UNKNOWN_REFERENCE."""
        payment = self._by_token.get(token)
        if payment is None:
            raise PaymentError(PaymentCode.UNKNOWN_REFERENCE, "no payment behind this page")
        return payment

    def complete(self, payment: Payment, outcome: Outcome, now: datetime) -> Payment:
        """End the payment as the payer chose; a success may stay pending at the intermediary."""
        if payment.state is not PaymentState.INITIATED:
            raise PaymentError(PaymentCode.ALREADY_COMPLETED, f"state is {payment.state}")
        payment.completed_at = now.strftime(TIMESTAMP_FORMAT)
        if outcome is not Outcome.SUCCESS:
            payment.state = PaymentState.FAILED if outcome is Outcome.FAIL else PaymentState.ABANDONED
        elif self._rng.random() < self._stay_pending_rate:
            payment.state = PaymentState.PENDING
            self._effects.payments_pending += 1
        else:
            payment.state = PaymentState.SUCCEEDED
            payment.transaction_id = f"PG{self._rng.randrange(10**12):012d}"
            payment.bank_code = self._rng.choice(BANK_CODES)
            self._effects.payments_succeeded += 1
        self._effects.payments_completed += 1
        return payment
