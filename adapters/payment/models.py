"""Canonical models of the payment services: snake_case English on the bus side."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

Reference = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,50}$", description="MaThamChieu, unique per partner")
]
AmountVnd = Annotated[StrictInt, Field(gt=0, le=10_000_000_000, description="whole đồng")]
Text = Annotated[str, Field(min_length=1, max_length=255)]
PaymentStatus = Literal["success", "pending", "failed", "refunded", "not_found"]
RefundStatus = Literal["refunded", "cancelled", "not_needed"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Fee(_Canonical):
    """One line of the receipt: a fee (phí) or a charge (lệ phí)."""

    kind: Literal["fee", "charge"]
    code: Text
    name: Text
    amount_vnd: AmountVnd


class Dossier(_Canonical):
    """The dossier the payment is for, as the receipt will name it (ThongTinBienLai)."""

    procedure_code: Text = Field(description="MaTTHC")
    service_code: Text = Field(description="MaDVC")
    agency_code: Text = Field(description="MaDonVi")
    dossier_number: Text = Field(description="MaHoSo")
    payer_name: Text = Field(description="HoTenNguoiNop")
    payer_id_number: str = Field(pattern=r"^(\d{9}|\d{12})$", description="SoCMNDNguoiNop")
    fees: list[Fee] = Field(min_length=1, max_length=50)


class InitiatePaymentRequest(_Canonical):
    """Open a payment for a dossier's fees; the amount must equal the sum of the fees."""

    reference: Reference | None = Field(
        None, description="MaThamChieu, unique per partner; defaults to the envelope's request_code"
    )
    amount_vnd: AmountVnd
    description: Text = Field(description="ThongTinGiaoDich, shown to the payer")
    dossier: Dossier
    payer_ip: str = Field("127.0.0.1", description="the payer's address (Ip)")
    language: Literal["vi-VN", "en-US"] = "vi-VN"

    @field_validator("payer_ip")
    @classmethod
    def _is_ip(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value

    @model_validator(mode="after")
    def _amount_is_the_sum_of_the_fees(self) -> InitiatePaymentRequest:
        total = sum(fee.amount_vnd for fee in self.dossier.fees)
        if total != self.amount_vnd:
            raise ValueError(f"amount_vnd {self.amount_vnd} is not the sum of dossier.fees ({total})")
        return self


class InitiatePaymentResponse(_Canonical):
    """Where to send the payer, and the reference the confirmation will carry."""

    payment_url: str
    reference: str


class PaymentStatusRequest(_Canonical):
    """Ask the state of a payment; the amount defaults to the one recorded when it was initiated."""

    reference: Reference
    amount_vnd: AmountVnd | None = None


class PaymentStatusResponse(_Canonical):
    """The platform's signed answer; "not_found" when it knows no such reference (not an error)."""

    reference: str
    status: PaymentStatus
    amount_vnd: int | None = None
    bank_code: str | None = None
    transaction_no: str | None = None
    paid_at: datetime | None = None


class RefundRequest(_Canonical):
    """Refund a payment (a refused or withdrawn dossier's fee) and cancel its e-receipt; the amount
    defaults to the one recorded when it was initiated."""

    reference: Reference
    amount_vnd: AmountVnd | None = None
    reason: Text = Field(description="LyDo, shown on the refund")
    cancel_e_receipt: bool = Field(True, description="HuyBienLai: cancel the fee's e-receipt too")


class RefundResponse(_Canonical):
    """What became of the payment: refunded (it had been paid), cancelled (not paid yet, and now it cannot
    be) or not_needed (it had failed); the same refund again answers the same."""

    reference: str
    status: RefundStatus
    amount_vnd: int
    refund_no: str | None = None
    e_receipt_cancelled: bool
    refunded_at: datetime
