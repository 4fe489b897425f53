"""The portal's wire format (PascalCase, times yyyyMMddHHmmss in Vietnam time) and its canonical mapping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from adapters.portal.models import DossierStatus, DossierSummary, ProgressEntry, ProgressUpdate
from bus.errors import BadResponse

WireT = TypeVar("WireT", bound=BaseModel)
PROVIDER = "National Public Service Portal"
VIETNAM_TIME = timezone(timedelta(hours=7))
PORTAL_TIME = "%Y%m%d%H%M%S"
CANONICAL_FIELDS = {
    "MaHoSo": "dossier_number",
    "TrangThaiHoSo": "status",
    "NgayCapNhat": "updated_at",
    "NoiDung": "note",
    "NguoiXuLy": "officer",
    "DonViXuLy": "unit",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireTienDo(_Wire):
    """One progress entry (TienDo)."""

    MaHoSo: str
    TrangThaiHoSo: int
    TenTrangThai: str
    NgayCapNhat: str
    NoiDung: str
    NguoiXuLy: str | None = None
    DonViXuLy: str | None = None


class WireCapNhatKetQua(_Wire):
    """The answer to an accepted update."""

    error_code: str
    TienDo: WireTienDo


class WireChuHoSo(_Wire):
    HoVaTen: str
    SoDinhDanh: str


class WireHoSo(_Wire):
    """The dossier part of a look-up."""

    MaHoSo: str
    MaTTHC: str
    TenTTHC: str
    ChuHoSo: WireChuHoSo
    KenhThucHien: int
    NgayTiepNhan: str
    NgayHenTra: str
    DonViXuLy: str


class WireHoSoTraCuu(_Wire):
    """TraCuuHoSo's answer."""

    HoSo: WireHoSo
    TrangThaiHoSo: int
    TenTrangThai: str
    LichSuXuLy: list[WireTienDo]


class WireError(_Wire):
    """The portal's error body."""

    error_code: str
    message: str
    field: str | None = None


def portal_time(moment: datetime) -> str:
    """An aware datetime as the portal writes times: yyyyMMddHHmmss in Vietnam time."""
    return moment.astimezone(VIETNAM_TIME).strftime(PORTAL_TIME)


def from_portal_time(value: str) -> datetime:
    """A portal time as an aware datetime; BadResponse when it is no such time."""
    try:
        return datetime.strptime(value, PORTAL_TIME).replace(tzinfo=VIETNAM_TIME)
    except ValueError as exc:
        raise BadResponse(f"{PROVIDER} answered a time {value!r} that is not yyyyMMddHHmmss") from exc


def to_wire(update: ProgressUpdate) -> dict[str, Any]:
    """The body of POST /api/CapNhatTienDoHoSoMC (optional fields left out when absent)."""
    body: dict[str, Any] = {
        "MaHoSo": update.dossier_number,
        "TrangThaiHoSo": update.status,
        "NgayCapNhat": portal_time(update.updated_at),
        "NoiDung": update.note,
    }
    if update.officer is not None:
        body["NguoiXuLy"] = update.officer
    if update.unit is not None:
        body["DonViXuLy"] = update.unit
    if update.payment_url is not None:
        body["UrlThanhToan"] = update.payment_url
    return body


def to_entry(entry: WireTienDo) -> ProgressEntry:
    """A canonical history entry."""
    return ProgressEntry(
        dossier_number=entry.MaHoSo,
        status=entry.TrangThaiHoSo,
        status_name=entry.TenTrangThai,
        updated_at=from_portal_time(entry.NgayCapNhat),
        note=entry.NoiDung,
        officer=entry.NguoiXuLy,
        unit=entry.DonViXuLy,
    )


def to_status(answer: WireHoSoTraCuu) -> DossierStatus:
    """A canonical look-up answer."""
    dossier = answer.HoSo
    return DossierStatus(
        found=True,
        dossier_number=dossier.MaHoSo,
        status=answer.TrangThaiHoSo,
        status_name=answer.TenTrangThai,
        dossier=DossierSummary(
            procedure_code=dossier.MaTTHC,
            procedure_name=dossier.TenTTHC,
            owner_name=dossier.ChuHoSo.HoVaTen,
            owner_id_number=dossier.ChuHoSo.SoDinhDanh,
            channel=dossier.KenhThucHien,
            received_at=from_portal_time(dossier.NgayTiepNhan),
            due_at=from_portal_time(dossier.NgayHenTra),
            unit=dossier.DonViXuLy,
        ),
        history=[to_entry(entry) for entry in answer.LichSuXuLy],
    )
