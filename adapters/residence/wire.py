"""The residence database's wire format (camelCase, ISO dates) and its mapping to canonical models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from adapters.residence.models import (
    NewbornResidenceRequest,
    ResidenceDossier,
    ResidenceOutcome,
    ResidenceRemovalRequest,
    Status,
)

PROVIDER = "residence database"
_STATUS: dict[int, Status] = {1: "received", 2: "verifying", 3: "processing", 4: "done"}
_SEX = {"male": 1, "female": 2}
_RELATION = {"child": "CH04", "grandchild": "CH07"}
_CHANNEL = {"in_person": 1, "online": 2, "post": 3}
# wire field → canonical field, for the database's field-named refusals.
NEWBORN_FIELDS = {
    "maHoSo": "dossier_number",
    "nguoiDangKy.soDinhDanh": "child.id_number",
    "nguoiDangKy.hoTen": "child.full_name",
    "nguoiDangKy.ngaySinh": "child.birth_date",
    "nguoiDangKy.gioiTinh": "child.sex",
    "nguoiDangKy": "child",
    "chuHo.soDinhDanh": "household_head.id_number",
    "chuHo.hoTen": "household_head.full_name",
    "soSoHoKhau": "household_book_number",
    "quanHeVoiChuHo": "relation_to_head",
    "nguoiKeKhai": "declarant",
}
REMOVAL_FIELDS = {
    "maHoSo": "dossier_number",
    "soDinhDanh": "person.id_number",
    "hoTen": "person.full_name",
    "ngayChet": "death_date",
    "trichLucKhaiTu.so": "death_extract.number",
    "trichLucKhaiTu.ngayCap": "death_extract.issued_on",
    "trichLucKhaiTu.coQuanCap": "death_extract.issuer",
    "nguoiKeKhai": "declarant",
}


def newborn_body(req: NewbornResidenceRequest, code: str) -> dict[str, Any]:
    """The body of POST /api/v1/cutru/dangkythuongtru."""
    return {
        "maHoSo": code,
        "nguoiDangKy": {
            "soDinhDanh": req.child.id_number,
            "hoTen": req.child.full_name,
            "ngaySinh": req.child.birth_date.isoformat(),
            "gioiTinh": _SEX[req.child.sex],
        },
        "chuHo": {"soDinhDanh": req.household_head.id_number, "hoTen": req.household_head.full_name},
        "soSoHoKhau": req.household_book_number,
        "quanHeVoiChuHo": _RELATION[req.relation_to_head],
        "nguoiKeKhai": {
            "hoTen": req.declarant.full_name,
            "soDinhDanh": req.declarant.id_number,
            "quanHe": req.declarant.relationship,
        },
        "kenhNop": _CHANNEL[req.channel],
    }


def removal_body(req: ResidenceRemovalRequest, code: str) -> dict[str, Any]:
    """The body of POST /api/v1/cutru/xoadangkythuongtru."""
    body: dict[str, Any] = {
        "maHoSo": code,
        "soDinhDanh": req.person.id_number,
        "hoTen": req.person.full_name,
        "lyDoXoa": 1,
        "ngayChet": req.death_date.isoformat(),
        "nguonYeuCau": 2 if req.source == "population_event" else 1,
    }
    if req.death_extract is not None:
        body["trichLucKhaiTu"] = {
            "so": req.death_extract.number,
            "ngayCap": req.death_extract.issued_on.isoformat(),
            "coQuanCap": req.death_extract.issuer,
        }
    if req.declarant is not None:
        body["nguoiKeKhai"] = {
            "hoTen": req.declarant.full_name,
            "soDinhDanh": req.declarant.id_number,
            "quanHe": req.declarant.relationship,
        }
    return body


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireOutcome(_Wire):
    """ketQua of a done dossier."""

    ngayThucHien: date
    soDinhDanh: str
    hoTen: str
    tinhTrangCuTru: Literal["THUONG_TRU", "DA_XOA_DANG_KY_THUONG_TRU"]
    noiThuongTru: str
    soSoHoKhau: str
    chuHo: str
    quanHeVoiChuHo: str | None = None


class WireDossier(_Wire):
    """HoSoCuTru as the database answers it."""

    maHoSo: str
    maHoSoCuTru: str
    loaiThuTuc: Literal["DANG_KY_THUONG_TRU", "XOA_DANG_KY_THUONG_TRU"]
    trangThai: Literal[1, 2, 3, 4]
    canXacMinh: bool
    ngayTiepNhan: datetime
    ngayHenTra: datetime
    ngayHoanThanh: datetime | None = None
    ketQua: WireOutcome | None = None


def to_dossier(wire: WireDossier) -> ResidenceDossier:
    """A dossier in canonical form."""
    outcome = None
    if wire.ketQua is not None:
        result = wire.ketQua
        outcome = ResidenceOutcome(
            effective_date=result.ngayThucHien,
            id_number=result.soDinhDanh,
            full_name=result.hoTen,
            residence_status="permanent" if result.tinhTrangCuTru == "THUONG_TRU" else "removed",
            address=result.noiThuongTru,
            household_book_number=result.soSoHoKhau,
            household_head=result.chuHo,
            relation_to_head=result.quanHeVoiChuHo,
        )
    return ResidenceDossier(
        dossier_number=wire.maHoSo,
        system_id=wire.maHoSoCuTru,
        procedure="register_newborn" if wire.loaiThuTuc == "DANG_KY_THUONG_TRU" else "remove_deceased",
        status=_STATUS[wire.trangThai],
        status_code=wire.trangThai,
        needs_verification=wire.canXacMinh,
        received_at=wire.ngayTiepNhan,
        due_at=wire.ngayHenTra,
        finished_at=wire.ngayHoanThanh,
        outcome=outcome,
    )
