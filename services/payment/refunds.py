"""Refunds (LoaiBanTin REFUND): undo a dossier's fee when the dossier is refused or withdrawn, and cancel
its e-receipt (biên lai điện tử) with it.

POST /api/v1/refund, signed over REFUND_FIELDS like every partner message. What it does depends on
where the payment is (TrangThaiHoan in the answer):
    1 refunded      it had succeeded: the money goes back (MaHoanTien), the e-receipt is cancelled if asked
    2 cancelled     not paid yet (initiated, or pending at the intermediary): it can no longer be paid
    3 not needed    it had failed or been abandoned: nothing was collected
The same refund again answers the same result (a retry never refunds twice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from services.payment.checksum import compute_checksum
from services.payment.codes import PaymentCode, PaymentError
from services.payment.ledger import Effects, Payment, PaymentState
from services.payment.models import TIMESTAMP_FORMAT, Amount, Checksum, Reference, Text, Timestamp

REFUND_FIELDS: tuple[str, ...] = (
    "LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LyDo", "HuyBienLai", "ThoiGianGD",
)  # fmt: skip
"""Signed fields of a refund request."""

REFUND_RESULT_FIELDS: tuple[str, ...] = (
    "MaDoiTac", "MaThamChieu", "SoTien", "TrangThaiHoan", "MaHoanTien", "BienLaiDaHuy", "ThoiGianHoan",
)  # fmt: skip
"""Signed fields of a refund answer."""


class RefundStatus(IntEnum):
    """TrangThaiHoan."""

    REFUNDED = 1
    CANCELLED = 2
    NOT_NEEDED = 3


class RefundRequest(BaseModel):
    """Refund a payment and, with HuyBienLai 1, cancel its e-receipt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    LoaiBanTin: Literal["REFUND"]
    PhienBan: Literal["1.0.6"]
    MaDoiTac: Text
    MaThamChieu: Reference
    SoTien: Amount
    LyDo: Text
    HuyBienLai: Literal[0, 1]
    ThoiGianGD: Timestamp
    MaXacThuc: Checksum

    @field_validator("ThoiGianGD")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        datetime.strptime(value, TIMESTAMP_FORMAT)
        return value


class RefundResult(BaseModel):
    """What became of the payment, signed over REFUND_RESULT_FIELDS."""

    MaDoiTac: str
    MaThamChieu: str
    SoTien: int
    TrangThaiHoan: RefundStatus
    MaHoanTien: str | None
    BienLaiDaHuy: int
    ThoiGianHoan: str
    MaXacThuc: str


class RefundAnswer(BaseModel):
    """`{error_code: "0", message: RefundResult}`."""

    error_code: Literal["0"] = "0"
    message: RefundResult


@dataclass(frozen=True)
class Refund:
    """A refund made, kept on its payment so that a repeated request answers the same."""

    status: RefundStatus
    refund_id: str | None
    receipt_cancelled: bool
    at: str


def refund(
    payment: Payment, request: RefundRequest, now: datetime, rng: random.Random, effects: Effects
) -> Refund:
    """Refund `payment` (once); WRONG_AMOUNT when the amount is not the payment's."""
    if payment.request.SoTien != request.SoTien:
        raise PaymentError(PaymentCode.WRONG_AMOUNT, f"MaThamChieu {request.MaThamChieu} has another SoTien")
    if payment.refund is not None:
        return payment.refund
    at = now.strftime(TIMESTAMP_FORMAT)
    if payment.state is PaymentState.SUCCEEDED:
        cancelled = request.HuyBienLai == 1
        made = Refund(RefundStatus.REFUNDED, f"HT{rng.randrange(10**12):012d}", cancelled, at)
        payment.state = PaymentState.REFUNDED
        effects.refunds += 1
        effects.receipts_cancelled += cancelled
    elif payment.state in (PaymentState.INITIATED, PaymentState.PENDING):
        made = Refund(RefundStatus.CANCELLED, None, False, at)
        payment.state = PaymentState.CANCELLED
        effects.payments_cancelled += 1
    else:
        made = Refund(RefundStatus.NOT_NEEDED, None, False, at)
    payment.refund = made
    return made


def refund_answer(payment: Payment, made: Refund, secret: str) -> RefundAnswer:
    """The signed answer about `made`."""
    fields: dict[str, object] = {
        "MaDoiTac": payment.partner,
        "MaThamChieu": payment.reference,
        "SoTien": payment.request.SoTien,
        "TrangThaiHoan": int(made.status),
        "MaHoanTien": made.refund_id,
        "BienLaiDaHuy": int(made.receipt_cancelled),
        "ThoiGianHoan": made.at,
    }
    signature = compute_checksum(REFUND_RESULT_FIELDS, fields, secret)
    return RefundAnswer(message=RefundResult.model_validate({**fields, "MaXacThuc": signature}))
