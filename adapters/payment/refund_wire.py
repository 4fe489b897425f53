"""PayGov's REFUND message and its signed answer (see adapters.payment.wire for the protocol)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.payment.models import RefundRequest, RefundResponse, RefundStatus
from adapters.payment.wire import PROTOCOL_VERSION, PROVIDER, parse_timestamp, signed
from adapters.sdk import describe_validation_error, verify_paygov_checksum
from bus.errors import BadResponse

REFUND_FIELDS = (
    "LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LyDo", "HuyBienLai", "ThoiGianGD",
)  # fmt: skip
REFUND_RESULT_FIELDS = (
    "MaDoiTac", "MaThamChieu", "SoTien", "TrangThaiHoan", "MaHoanTien", "BienLaiDaHuy", "ThoiGianHoan",
)  # fmt: skip
_STATUSES: dict[str, RefundStatus] = {"1": "refunded", "2": "cancelled", "3": "not_needed"}


def refund_message(
    request: RefundRequest, amount_vnd: int, partner: str, secret: str, now: str
) -> dict[str, Any]:
    """The signed REFUND message."""
    message: dict[str, Any] = {
        "LoaiBanTin": "REFUND",
        "PhienBan": PROTOCOL_VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": request.reference,
        "SoTien": amount_vnd,
        "LyDo": request.reason,
        "HuyBienLai": int(request.cancel_e_receipt),
        "ThoiGianGD": now,
    }
    return signed(REFUND_FIELDS, message, secret)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _RefundResult(_Wire):
    MaDoiTac: str
    MaThamChieu: str
    SoTien: int
    TrangThaiHoan: int
    MaHoanTien: str | None = None
    BienLaiDaHuy: int
    ThoiGianHoan: str
    MaXacThuc: str


class _RefundAnswer(_Wire):
    error_code: str
    message: _RefundResult


def refund_answer(body: object, partner: str, reference: str, secret: str) -> RefundResponse:
    """The canonical refund of a successful REFUND answer, after checking its checksum and identity."""
    try:
        result = _RefundAnswer.model_validate(body).message
    except ValidationError as exc:
        raise BadResponse(f"{PROVIDER} refund answer: {describe_validation_error(exc)}") from exc
    values = [getattr(result, name) for name in REFUND_RESULT_FIELDS]
    if not verify_paygov_checksum(values, secret, result.MaXacThuc):
        raise BadResponse(f"{PROVIDER} refund answer for {reference} carries a bad checksum (MaXacThuc)")
    if (result.MaDoiTac, result.MaThamChieu) != (partner, reference):
        raise BadResponse(f"{PROVIDER} answered a refund of {result.MaThamChieu}, not {reference}")
    status = _STATUSES.get(str(result.TrangThaiHoan))
    refunded_at = parse_timestamp(result.ThoiGianHoan)
    if status is None or refunded_at is None:
        raise BadResponse(f"{PROVIDER} answered an unknown refund state {result.TrangThaiHoan}")
    return RefundResponse(
        reference=reference,
        status=status,
        amount_vnd=result.SoTien,
        refund_no=result.MaHoanTien or None,
        e_receipt_cancelled=bool(result.BienLaiDaHuy),
        refunded_at=refunded_at,
    )
