"""Social insurance's wire format (camelCase, dd/MM/yyyy dates and times) and its canonical mapping."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from adapters.insurance.models import (
    ChildCardRequest,
    HealthInsuranceCard,
    InsuranceDossier,
    Status,
    SurvivorBenefit,
    SurvivorBenefitRequest,
)
from adapters.sdk import parse_vn_date, parse_vn_time, to_vn_date

PROVIDER = "social insurance (VSS)"
_STATUS: dict[int, Status] = {1: "received", 2: "in_progress", 3: "done"}
_SEX = {"male": 1, "female": 2}
CARD_FIELDS = {
    "maHoSo": "dossier_number",
    "soDinhDanh": "child.id_number",
    "hoTen": "child.full_name",
    "ngaySinh": "child.birth_date",
    "gioiTinh": "child.sex",
    "maCskcb": "clinic_code",
    "diaChi": "address",
    "nguoiGiamHo.soDinhDanh": "guardian.id_number",
    "nguoiGiamHo.hoTen": "guardian.full_name",
    "nguoiGiamHo": "guardian",
}
SURVIVOR_FIELDS = {
    "maHoSo": "dossier_number",
    "nguoiChet.soDinhDanh": "deceased.id_number",
    "nguoiChet.hoTen": "deceased.full_name",
    "nguoiChet.maSoBhxh": "deceased.social_insurance_number",
    "nguoiChet.ngayChet": "deceased.death_date",
    "nguoiNhan.soDinhDanh": "recipient.id_number",
    "nguoiNhan.hoTen": "recipient.full_name",
    "nguoiNhan": "recipient",
    "soTaiKhoan": "bank_account",
    "nganHang": "bank_name",
}


def card_body(req: ChildCardRequest, code: str) -> dict[str, Any]:
    """The body of POST /api/v1/bhyt/the-tre-em."""
    body: dict[str, Any] = {
        "maHoSo": code,
        "soDinhDanh": req.child.id_number,
        "hoTen": req.child.full_name,
        "ngaySinh": to_vn_date(req.child.birth_date),
        "gioiTinh": _SEX[req.child.sex],
        "nguoiGiamHo": {
            "hoTen": req.guardian.full_name,
            "soDinhDanh": req.guardian.id_number,
            "quanHe": req.guardian.relationship,
        },
    }
    if req.clinic_code is not None:
        body["maCskcb"] = req.clinic_code
    if req.address is not None:
        body["diaChi"] = req.address
    return body


def survivor_body(req: SurvivorBenefitRequest, code: str) -> dict[str, Any]:
    """The body of POST /api/v1/chedo/tu-tuat."""
    deceased: dict[str, Any] = {
        "soDinhDanh": req.deceased.id_number,
        "hoTen": req.deceased.full_name,
        "ngayChet": to_vn_date(req.deceased.death_date),
    }
    if req.deceased.social_insurance_number is not None:
        deceased["maSoBhxh"] = req.deceased.social_insurance_number
    body: dict[str, Any] = {
        "maHoSo": code,
        "nguoiChet": deceased,
        "nguoiNhan": {
            "hoTen": req.recipient.full_name,
            "soDinhDanh": req.recipient.id_number,
            "quanHe": req.recipient.relationship,
        },
        "hinhThucNhan": 2 if req.payment == "bank" else 1,
    }
    if req.bank_account is not None:
        body["soTaiKhoan"] = req.bank_account
    if req.bank_name is not None:
        body["nganHang"] = req.bank_name
    return body


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireClinic(_Wire):
    maCskcb: str
    tenCskcb: str


class WireCard(_Wire):
    """theBhyt."""

    soTheBhyt: str
    maSoBhxh: str
    hoTen: str
    ngaySinh: str
    mucHuong: int
    noiDangKyKcbBanDau: WireClinic
    giaTriTu: str
    giaTriDen: str


class WireSurvivorBenefit(_Wire):
    """cheDoTuTuat."""

    maSoBhxh: str
    soNamDong: int
    loaiTroCap: Literal[1, 2]
    mucHuongThang: int | None = None
    soTienMotLan: int | None = None
    thangBatDau: str
    nguoiNhan: str


class WireDossier(_Wire):
    """HoSoBhxh."""

    maHoSo: str
    maHoSoBhxh: str
    loaiHoSo: Literal["CAP_THE_BHYT_TE", "GIAI_QUYET_TU_TUAT"]
    trangThai: Literal[1, 2, 3]
    ngayTiepNhan: str
    ngayHenTra: str
    ngayHoanThanh: str | None = None
    theBhyt: WireCard | None = None
    cheDoTuTuat: WireSurvivorBenefit | None = None


def _card(card: WireCard) -> HealthInsuranceCard:
    return HealthInsuranceCard(
        card_number=card.soTheBhyt,
        social_insurance_number=card.maSoBhxh,
        full_name=card.hoTen,
        birth_date=parse_vn_date(card.ngaySinh, PROVIDER),
        benefit_level=card.mucHuong,
        clinic_code=card.noiDangKyKcbBanDau.maCskcb,
        clinic_name=card.noiDangKyKcbBanDau.tenCskcb,
        valid_from=parse_vn_date(card.giaTriTu, PROVIDER),
        valid_to=parse_vn_date(card.giaTriDen, PROVIDER),
    )


def _benefit(benefit: WireSurvivorBenefit) -> SurvivorBenefit:
    month, _, year = benefit.thangBatDau.partition("/")
    return SurvivorBenefit(
        social_insurance_number=benefit.maSoBhxh,
        contribution_years=benefit.soNamDong,
        kind="monthly" if benefit.loaiTroCap == 1 else "lump_sum",
        monthly_amount_vnd=benefit.mucHuongThang,
        lump_sum_vnd=benefit.soTienMotLan,
        first_month=f"{year}-{month}",
        recipient=benefit.nguoiNhan,
    )


def to_dossier(wire: WireDossier) -> InsuranceDossier:
    """A dossier in canonical form."""
    return InsuranceDossier(
        dossier_number=wire.maHoSo,
        system_id=wire.maHoSoBhxh,
        kind="child_health_card" if wire.loaiHoSo == "CAP_THE_BHYT_TE" else "survivor_benefit",
        status=_STATUS[wire.trangThai],
        status_code=wire.trangThai,
        received_at=parse_vn_time(wire.ngayTiepNhan, PROVIDER),
        due_at=parse_vn_time(wire.ngayHenTra, PROVIDER),
        finished_at=parse_vn_time(wire.ngayHoanThanh, PROVIDER) if wire.ngayHoanThanh else None,
        card=_card(wire.theBhyt) if wire.theBhyt else None,
        survivor_benefit=_benefit(wire.cheDoTuTuat) if wire.cheDoTuTuat else None,
    )
