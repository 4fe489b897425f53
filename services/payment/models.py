"""Wire messages of the payment platform (protocol "1.0.6"), with the platform's field names."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

PROTOCOL_VERSION = "1.0.6"
TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

Checksum = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
Reference = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,50}$")]
Amount = Annotated[StrictInt, Field(gt=0, le=10_000_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
Timestamp = Annotated[str, Field(pattern=r"^\d{14}$")]


def _is_timestamp(value: str) -> str:
    datetime.strptime(value, TIMESTAMP_FORMAT)  # raises ValueError on 20241332…
    return value


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeeItem(_Wire):
    """One fee or charge on the receipt (PhiLePhi)."""

    LoaiPhiLePhi: Literal["1", "2"]  # 1 phí (fee), 2 lệ phí (charge)
    MaPhiLePhi: Text
    TenPhiLePhi: Text
    SoTien: Amount


class Receipt(_Wire):
    """ThongTinBienLai: what the receipt of the fee will say."""

    MaTTHC: Text
    MaDVC: Text
    MaDonVi: Text
    MaHoSo: Text
    HoTenNguoiNop: Text
    SoCMNDNguoiNop: Annotated[str, Field(pattern=r"^(\d{9}|\d{12})$")]
    PhiLePhi: Annotated[list[FeeItem], Field(min_length=1, max_length=50)]


class InitRequest(_Wire):
    """Initiate a payment (LoaiBanTin INIT)."""

    LoaiBanTin: Literal["INIT"]
    PhienBan: Literal["1.0.6"]
    MaDoiTac: Text
    MaThamChieu: Reference
    SoTien: Amount
    MaTienTe: Literal["VND"]
    ThongTinGiaoDich: Text
    ThoiGianGD: Timestamp
    Ip: str
    NgonNgu: Literal["vi-VN", "en-US"]
    ThongTinBienLai: Receipt
    MaXacThuc: Checksum

    _timestamp = field_validator("ThoiGianGD")(_is_timestamp)

    @field_validator("Ip")
    @classmethod
    def _is_ip(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value


class InitResult(_Wire):
    """What a successful initiate answers in `message`."""

    UrlThanhToan: str


class InitAnswer(_Wire):
    """`{error_code: "0", message: {UrlThanhToan}}`."""

    error_code: Literal["0"] = "0"
    message: InitResult


class QueryRequest(_Wire):
    """Ask the state of a payment (LoaiBanTin QUERY)."""

    LoaiBanTin: Literal["QUERY"]
    PhienBan: Literal["1.0.6"]
    MaDoiTac: Text
    MaThamChieu: Reference
    SoTien: Amount
    ThoiGianGD: Timestamp
    MaXacThuc: Checksum

    _timestamp = field_validator("ThoiGianGD")(_is_timestamp)


class TransactionStatus(IntEnum):
    """TrangThaiGD of a status query."""

    SUCCESS = 1
    PENDING = 3
    FAILED = 4
    REFUNDED = 5


class QueryResult(_Wire):
    """The state of one payment, signed over `QUERY_RESULT_FIELDS`."""

    MaDoiTac: str
    MaThamChieu: str
    SoTien: int
    MaTienTe: str
    TrangThaiGD: TransactionStatus
    MaGiaoDich: str | None
    MaNganHang: str | None
    ThoiGianGD: str | None
    ThongTinGiaoDich: str
    MaXacThuc: str


class QueryAnswer(_Wire):
    """`{error_code: "0", message: QueryResult}`."""

    error_code: Literal["0"] = "0"
    message: QueryResult


class Confirmation(_Wire):
    """The confirmation callback (IPN) POSTed to the partner, signed over `CONFIRM_FIELDS`."""

    LoaiBanTin: Literal["IPN"] = "IPN"
    MaLoi: str
    MaDoiTac: str
    MaThamChieu: str
    SoTien: int
    MaTienTe: str
    MaGiaoDich: str
    MaNganHang: str
    ThoiGianGD: str
    ThongTinGiaoDich: str
    MaXacThuc: str


class ConfirmationReply(BaseModel):
    """The partner's answer to a confirmation: MaLoi "00" taken, "99" (or anything else) retry."""

    MaLoi: str
    MoTaLoi: str | None = None


class Outcome(StrEnum):
    """How the simulated payer ends a payment."""

    SUCCESS = "success"
    FAIL = "fail"
    ABANDON = "abandon"


class CompleteCommand(_Wire):
    """Control command: end a payment as the payer would."""

    MaDoiTac: Text
    MaThamChieu: Reference
    outcome: Outcome
