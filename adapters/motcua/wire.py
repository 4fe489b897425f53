"""The one-stop system's REST dialect (camelCase, ISO times) and its mapping from the portal's format."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from adapters.motcua.models import DongBoHoSoRequest, DossierProgress, DossierReceipt, HandOverRequest
from bus.errors import BadRequest

WireT = TypeVar("WireT", bound=BaseModel)
PROVIDER = "one-stop dossier system"
VIETNAM_TIME = timezone(timedelta(hours=7))
PORTAL_TIME = "%Y%m%d%H%M%S"
# wire field → canonical field, for the system's field-named errors.
CANONICAL_FIELDS = {
    "maHoSo": "MaHoSo",
    "thuTuc.maTTHC": "MaTTHC",
    "thuTuc.tenTTHC": "TenTTHC",
    "thuTuc.maLinhVuc": "MaLinhVuc",
    "thuTuc.tenLinhVuc": "TenLinhVuc",
    "thuTuc.maDVC": "MaDVC",
    "chuHoSo.hoTen": "ChuHoSo.HoVaTen",
    "chuHoSo.soDinhDanh": "ChuHoSo.SoDinhDanh",
    "kenhNop": "KenhThucHien",
    "ngayTiepNhan": "NgayTiepNhan",
    "ngayHenTra": "NgayHenTra",
    "trichYeu": "TrichYeuHoSo",
    "donViXuLy": "DonViXuLy",
    "phiLePhi": "LePhi",
}

# wire field → canonical field of a hand-over (ChuyenXuLyHoSo).
HANDOVER_FIELDS = {
    "maHoSo": "dossier_number",
    "thuTuc.maTTHC": "procedure.code",
    "thuTuc.tenTTHC": "procedure.name",
    "thuTuc.maLinhVuc": "procedure.field_code",
    "thuTuc.tenLinhVuc": "procedure.field_name",
    "thuTuc.maDVC": "procedure.service_code",
    "chuHoSo.hoTen": "owner.full_name",
    "chuHoSo.soDinhDanh": "owner.id_number",
    "kenhNop": "channel",
    "ngayTiepNhan": "received_at",
    "ngayHenTra": "due_at",
    "trichYeu": "summary",
    "donViXuLy": "unit",
    "phiLePhi": "fees",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireReceipt(_Wire):
    """The parts of the system's dossier answer the receipt needs."""

    maHoSo: str
    maHoSoHeThong: str
    thoiDiemNhan: datetime


class WireStep(_Wire):
    """One entry of the system's processing history (lichSu)."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: datetime
    noiDung: str
    nguoiXuLy: str


class WireRecord(WireReceipt):
    """The system's dossier answer, with its state and history."""

    ngayHenTra: datetime
    lichSu: list[WireStep]


class WireError(_Wire):
    """The system's error body."""

    maLoi: str
    thongBao: str
    truong: str | None = None


def portal_time(value: str, field: str) -> str:
    """A portal time (yyyyMMddHHmmss, Vietnam time) as ISO 8601; BadRequest naming the field."""
    try:
        return parsed_portal_time(value).isoformat()
    except ValueError as exc:
        raise BadRequest(f"field '{field}': {value!r} is not a time yyyyMMddHHmmss: {exc}") from exc


def parsed_portal_time(value: str) -> datetime:
    """`datetime.strptime(value, PORTAL_TIME)` in Vietnam time. Fourteen ASCII digits whose two-digit
    fields make a valid time are split by hand: strptime's pattern matches them that way first, and its
    locale checks and regex cost ten times the split; anything else is strptime's to parse or refuse."""
    if len(value) == 14 and value.isascii() and value.isdigit():
        try:
            return datetime(
                int(value[0:4]), int(value[4:6]), int(value[6:8]),
                int(value[8:10]), int(value[10:12]), int(value[12:14]), tzinfo=VIETNAM_TIME,
            )  # fmt: skip
        except ValueError:
            pass  # out of range as split: strptime may split the digits otherwise, or refuse them
    return datetime.strptime(value, PORTAL_TIME).replace(tzinfo=VIETNAM_TIME)


def to_wire(dossier: DongBoHoSoRequest) -> dict[str, Any]:
    """The body of POST /api/v1/hoso."""
    return {
        "maHoSo": dossier.MaHoSo,
        "thuTuc": {
            "maTTHC": dossier.MaTTHC,
            "tenTTHC": dossier.TenTTHC,
            "maLinhVuc": dossier.MaLinhVuc,
            "tenLinhVuc": dossier.TenLinhVuc,
            "maDVC": dossier.MaDVC,
        },
        "chuHoSo": {"hoTen": dossier.ChuHoSo.HoVaTen, "soDinhDanh": dossier.ChuHoSo.SoDinhDanh},
        "kenhNop": dossier.KenhThucHien,
        "ngayTiepNhan": portal_time(dossier.NgayTiepNhan, "NgayTiepNhan"),
        "ngayHenTra": portal_time(dossier.NgayHenTra, "NgayHenTra"),
        "trichYeu": dossier.TrichYeuHoSo,
        "donViXuLy": dossier.DonViXuLy,
        "phiLePhi": [
            {"ma": fee.MaPhiLePhi, "ten": fee.TenPhiLePhi, "soTien": fee.Gia, "loai": fee.LoaiPhiLePhi}
            for fee in dossier.LePhi
        ],
        "nguon": "DVCQG",
    }


def to_receipt(answer: WireReceipt) -> DossierReceipt:
    """The canonical acknowledgement."""
    return DossierReceipt(
        dossier_number=answer.maHoSo, system_id=answer.maHoSoHeThong, received_at=answer.thoiDiemNhan
    )


def canonical_field(wire_field: str | None, names: dict[str, str] = CANONICAL_FIELDS) -> str:
    """The canonical name (in `names`) of a field the system named (the first known prefix), else the
    wire name."""
    if not wire_field:
        return "(payload)"
    for wire, canonical in names.items():
        if wire_field == wire or wire_field.startswith(f"{wire}."):
            return canonical + wire_field[len(wire) :]
    return wire_field


def handover_to_wire(dossier: HandOverRequest) -> dict[str, Any]:
    """The body of POST /api/v1/hoso for a dossier handed over for decision (trangThaiTiepNhan 4)."""
    procedure, owner = dossier.procedure, dossier.owner
    body: dict[str, Any] = {
        "maHoSo": dossier.dossier_number,
        "thuTuc": {
            "maTTHC": procedure.code,
            "tenTTHC": procedure.name,
            "maLinhVuc": procedure.field_code,
            "tenLinhVuc": procedure.field_name,
            "maDVC": procedure.service_code,
        },
        "chuHoSo": {"hoTen": owner.full_name, "soDinhDanh": owner.id_number},
        "kenhNop": dossier.channel,
        "ngayTiepNhan": dossier.received_at.isoformat(),
        "trichYeu": dossier.summary,
        "donViXuLy": dossier.unit,
        "phiLePhi": [
            {"ma": fee.code, "ten": fee.name, "soTien": fee.amount_vnd, "loai": fee.kind}
            for fee in dossier.fees
        ],
        "nguon": "LGSP",
        "trangThaiTiepNhan": 4,
    }
    if dossier.due_at is not None:
        body["ngayHenTra"] = dossier.due_at.isoformat()
    return body


def to_progress(answer: WireRecord) -> DossierProgress:
    """The canonical state of a dossier: its latest history entry."""
    last = answer.lichSu[-1]
    return DossierProgress(
        dossier_number=answer.maHoSo,
        system_id=answer.maHoSoHeThong,
        status=last.trangThai,
        status_name=last.tenTrangThai,
        updated_at=last.thoiDiem,
        note=last.noiDung,
        officer=last.nguoiXuLy,
        due_at=answer.ngayHenTra,
    )
