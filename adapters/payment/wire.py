"""PayGov protocol 1.0.6 on the wire: signed INIT and QUERY messages, answers, error codes.

Field orders of the signed messages (MaXacThuc = SHA-256 hex of the values joined with '|', secret last):
    INIT          LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|MaTienTe|ThongTinGiaoDich|ThoiGianGD|
                  Ip|NgonNgu
    QUERY         LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|ThoiGianGD
    query answer  MaDoiTac|MaThamChieu|SoTien|MaTienTe|TrangThaiGD|MaGiaoDich|MaNganHang|ThoiGianGD
    REFUND        LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LyDo|HuyBienLai|ThoiGianGD
    refund answer MaDoiTac|MaThamChieu|SoTien|TrangThaiHoan|MaHoanTien|BienLaiDaHuy|ThoiGianHoan
    IPN           LoaiBanTin|MaLoi|MaDoiTac|MaThamChieu|SoTien|MaTienTe|MaGiaoDich|MaNganHang|ThoiGianGD|
                  ThongTinGiaoDich
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.payment.models import (
    InitiatePaymentRequest,
    PaymentStatus,
    PaymentStatusResponse,
)
from adapters.sdk import describe_validation_error, paygov_checksum, verify_paygov_checksum
from bus.errors import BadResponse, ProviderError, ProviderFault, ProviderRejected

PROVIDER = "PayGov"
PROTOCOL_VERSION = "1.0.6"
VIETNAM_TIME = timezone(timedelta(hours=7))
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

INIT_FIELDS = (
    "LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "ThongTinGiaoDich",
    "ThoiGianGD", "Ip", "NgonNgu",
)  # fmt: skip
QUERY_FIELDS = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianGD")
QUERY_RESULT_FIELDS = (
    "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "TrangThaiGD", "MaGiaoDich", "MaNganHang", "ThoiGianGD",
)  # fmt: skip
CONFIRM_FIELDS = (
    "LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "MaGiaoDich", "MaNganHang",
    "ThoiGianGD", "ThongTinGiaoDich",
)  # fmt: skip

UNKNOWN_REFERENCE = "05"
# The platform's error_code → what it means for the caller; 05 on a query is answered as "not_found".
_REJECTIONS: dict[str, str] = {
    "01": "refused the message as malformed",
    "02": "does not know this partner (MaDoiTac): check partner_code",
    "03": "refused the checksum (MaXacThuc): check the partner secret",
    "04": "already has this reference (MaThamChieu, field 'reference') for a completed payment",
    "05": "knows no such reference (MaThamChieu, field 'reference')",
    "06": "says the amount does not match (SoTien, field 'amount_vnd')",
    "07": "says the payment is already completed",
}
_STATUSES: dict[str, PaymentStatus] = {"1": "success", "3": "pending", "4": "failed", "5": "refunded"}
_FEE_KINDS = {"fee": "1", "charge": "2"}


def timestamp(now: datetime | None = None) -> str:
    """ThoiGianGD: yyyyMMddHHmmss in Vietnam time."""
    return (now or datetime.now(VIETNAM_TIME)).astimezone(VIETNAM_TIME).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str | None) -> datetime | None:
    """A platform timestamp as an aware datetime (Vietnam time); None for empty; BadResponse if garbled."""
    if not value:
        return None
    try:
        return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=VIETNAM_TIME)
    except ValueError as exc:
        raise BadResponse(f"{PROVIDER} answered a bad ThoiGianGD {value!r}") from exc


def signed(fields: tuple[str, ...], message: dict[str, Any], secret: str) -> dict[str, Any]:
    """`message` with its MaXacThuc over `fields`."""
    return {**message, "MaXacThuc": paygov_checksum([message.get(name) for name in fields], secret)}


def init_message(request: InitiatePaymentRequest, partner: str, secret: str, now: str) -> dict[str, Any]:
    """The signed INIT message for a canonical initiate request."""
    dossier = request.dossier
    message: dict[str, Any] = {
        "LoaiBanTin": "INIT",
        "PhienBan": PROTOCOL_VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": request.reference,
        "SoTien": request.amount_vnd,
        "MaTienTe": "VND",
        "ThongTinGiaoDich": request.description,
        "ThoiGianGD": now,
        "Ip": request.payer_ip,
        "NgonNgu": request.language,
        "ThongTinBienLai": {
            "MaTTHC": dossier.procedure_code,
            "MaDVC": dossier.service_code,
            "MaDonVi": dossier.agency_code,
            "MaHoSo": dossier.dossier_number,
            "HoTenNguoiNop": dossier.payer_name,
            "SoCMNDNguoiNop": dossier.payer_id_number,
            "PhiLePhi": [
                {
                    "LoaiPhiLePhi": _FEE_KINDS[fee.kind],
                    "MaPhiLePhi": fee.code,
                    "TenPhiLePhi": fee.name,
                    "SoTien": fee.amount_vnd,
                }
                for fee in dossier.fees
            ],
        },
    }
    return signed(INIT_FIELDS, message, secret)


def query_message(reference: str, amount_vnd: int, partner: str, secret: str, now: str) -> dict[str, Any]:
    """The signed QUERY message."""
    message: dict[str, Any] = {
        "LoaiBanTin": "QUERY",
        "PhienBan": PROTOCOL_VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "SoTien": amount_vnd,
        "ThoiGianGD": now,
    }
    return signed(QUERY_FIELDS, message, secret)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _InitResult(_Wire):
    UrlThanhToan: str


class _InitAnswer(_Wire):
    error_code: str
    message: _InitResult


class QueryResult(_Wire):
    """The signed state of one payment (the `message` of a query answer)."""

    MaDoiTac: str
    MaThamChieu: str
    SoTien: int
    MaTienTe: str
    TrangThaiGD: int
    MaGiaoDich: str | None = None
    MaNganHang: str | None = None
    ThoiGianGD: str | None = None
    MaXacThuc: str


class _QueryAnswer(_Wire):
    error_code: str
    message: QueryResult


def error_code_of(body: object) -> str | None:
    """The platform's error_code when `body` is one of its answers, else None (e.g. a proxy's error)."""
    if isinstance(body, Mapping):
        code = body.get("error_code")
        if isinstance(code, str):
            return code
    return None


def refusal(code: str, body: Mapping[str, Any]) -> ProviderFault:
    """The taxonomy error for a refusal with `error_code` `code`: ours to fix → Rejected, theirs → Error."""
    detail = body.get("message")
    words = f": {detail}" if isinstance(detail, str) and detail else ""
    meaning = _REJECTIONS.get(code)
    if meaning is None:
        return ProviderError(f"{PROVIDER} failed with error_code {code}{words}")
    return ProviderRejected(f"{PROVIDER} {meaning} (error_code {code}){words}")


def init_answer(body: object) -> str:
    """The payment URL of a successful INIT answer; BadResponse when it is not one."""
    try:
        answer = _InitAnswer.model_validate(body)
    except ValidationError as exc:
        raise BadResponse(f"{PROVIDER} initiate answer: {describe_validation_error(exc)}") from exc
    if answer.error_code != "0" or not answer.message.UrlThanhToan.startswith(("http://", "https://")):
        raise BadResponse(f"{PROVIDER} initiate answer is not a success with a payment URL")
    return answer.message.UrlThanhToan


def query_answer(body: object, partner: str, reference: str, secret: str) -> PaymentStatusResponse:
    """The canonical status of a successful QUERY answer, after checking its checksum and identity."""
    try:
        result = _QueryAnswer.model_validate(body).message
    except ValidationError as exc:
        raise BadResponse(f"{PROVIDER} status answer: {describe_validation_error(exc)}") from exc
    values = [getattr(result, name) for name in QUERY_RESULT_FIELDS]
    if not verify_paygov_checksum(values, secret, result.MaXacThuc):
        raise BadResponse(f"{PROVIDER} status answer for {reference} carries a bad checksum (MaXacThuc)")
    if (result.MaDoiTac, result.MaThamChieu) != (partner, reference):
        raise BadResponse(f"{PROVIDER} answered about {result.MaThamChieu}, not {reference}")
    status = _STATUSES.get(str(result.TrangThaiGD))
    if status is None:
        raise BadResponse(f"{PROVIDER} answered an unknown TrangThaiGD {result.TrangThaiGD}")
    return PaymentStatusResponse(
        reference=reference,
        status=status,
        amount_vnd=result.SoTien,
        bank_code=result.MaNganHang or None,
        transaction_no=result.MaGiaoDich or None,
        paid_at=parse_timestamp(result.ThoiGianGD) if status == "success" else None,
    )
