"""PayGov's confirmation callback (IPN): the wire message, its checksum, and its canonical event data."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from adapters.payment.book import InitiatedPayment
from adapters.payment.wire import CONFIRM_FIELDS, parse_timestamp
from adapters.sdk import verify_paygov_checksum

PAID = "00"
Short = Annotated[str, Field(max_length=255)]


class Confirmation(BaseModel):
    """The IPN as PayGov POSTs it, signed over `CONFIRM_FIELDS`; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    LoaiBanTin: Short
    MaLoi: Short
    MaDoiTac: Short
    MaThamChieu: Short
    SoTien: StrictInt
    MaTienTe: Short
    MaGiaoDich: Short
    MaNganHang: Short
    ThoiGianGD: Short
    ThongTinGiaoDich: Short
    MaXacThuc: Annotated[str, Field(max_length=128)]

    @property
    def paid(self) -> bool:
        """Whether the platform says the payment succeeded."""
        return self.MaLoi == PAID


def verify_confirmation(confirmation: Confirmation, secret: str) -> bool:
    """Whether the MaXacThuc signs the confirmation with `secret` (constant-time comparison)."""
    values = [getattr(confirmation, name) for name in CONFIRM_FIELDS]
    return verify_paygov_checksum(values, secret, confirmation.MaXacThuc)


def confirmation_data(confirmation: Confirmation, payment: InitiatedPayment) -> dict[str, object]:
    """The canonical `data` of a payment event: the confirmation joined with what was initiated."""
    paid_at = parse_timestamp(confirmation.ThoiGianGD)
    return {
        "partner_code": confirmation.MaDoiTac,
        "reference": confirmation.MaThamChieu,
        "amount_vnd": confirmation.SoTien,
        "currency": confirmation.MaTienTe,
        "result_code": confirmation.MaLoi,
        "transaction_no": confirmation.MaGiaoDich,
        "bank_code": confirmation.MaNganHang,
        "paid_at": paid_at.isoformat() if paid_at else None,
        "description": confirmation.ThongTinGiaoDich,
        "dossier_number": payment.dossier_number,
    }
