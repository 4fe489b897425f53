"""The judicial-records system's wire format (maTinh, maHoSoMCDT, nguonDangKy, toKhai; dd/MM/yyyy) and
its mapping to canonical models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from adapters.lltp.models import (
    Certificate,
    CertificateCase,
    CertificateRequest,
    Conviction,
    Revocation,
    RevocationRequest,
    Status,
)
from adapters.sdk import parse_vn_date, parse_vn_time, to_vn_date

PROVIDER = "judicial records system (LLTP)"
Source = Literal["vneid", "portal", "one_stop"]
_SOURCE: dict[Source, int] = {"vneid": 1, "portal": 2, "one_stop": 3}
_SOURCE_OF: dict[int, Source] = {number: name for name, number in _SOURCE.items()}
_STATUS: dict[int, Status] = {
    1: "received",
    2: "searching",
    3: "verifying",
    9: "issued",
    10: "refused",
    11: "revoked",
}
REQUEST_FIELDS = {
    "maHoSoMCDT": "dossier_number",
    "maTinh": "province (adapter config)",
    "nguonDangKy": "source",
    "toKhai.loaiPhieu": "certificate_type",
    "toKhai.mucDich": "purpose",
    "toKhai.soLuongCap": "copies",
    "toKhai.hoTen": "applicant.full_name",
    "toKhai.tenGoiKhac": "applicant.other_name",
    "toKhai.gioiTinh": "applicant.sex",
    "toKhai.ngaySinh": "applicant.birth_date",
    "toKhai.noiSinh": "applicant.birth_place",
    "toKhai.soGiayTo": "applicant.id_number",
    "toKhai.ngayCapGiayTo": "applicant.id_issued_on",
    "toKhai.noiThuongTru": "applicant.permanent_address",
    "toKhai.quaTrinhCuTru": "residence_history",
    "toKhai.nguoiUyQuyen": "proxy",
    "toKhai.ngayHenTra": "appointment_date",
}
REVOCATION_FIELDS = {
    "maHoSoMCDT": "dossier_number",
    "soQuyetDinh": "decision_number",
    "ngayQuyetDinh": "decision_date",
    "lyDo": "reason",
    "nguoiKy": "signer",
}


def _month(month: str) -> str:
    year, _, number = month.partition("-")
    return f"{number}/{year}"


def _optional(pairs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in pairs.items() if value is not None}


def request_body(req: CertificateRequest, code: str, province: str) -> dict[str, Any]:
    """The body of POST /api/lltp/dangky."""
    person = req.applicant
    form: dict[str, Any] = {
        "loaiPhieu": req.certificate_type,
        "mucDich": req.purpose,
        "soLuongCap": req.copies,
        "hoTen": person.full_name,
        "gioiTinh": 1 if person.sex == "male" else 2,
        "ngaySinh": to_vn_date(person.birth_date),
        "noiSinh": person.birth_place,
        "quocTich": person.nationality,
        "danToc": person.ethnicity_code,
        "loaiGiayTo": 2,
        "soGiayTo": person.id_number,
        "ngayCapGiayTo": to_vn_date(person.id_issued_on),
        "noiCapGiayTo": person.id_issued_by,
        "noiThuongTru": person.permanent_address,
        **_optional(
            {
                "tenGoiKhac": person.other_name,
                "noiTamTru": person.temporary_address,
                "dienThoai": person.phone,
                "email": person.email,
                "hoTenCha": person.father_name,
                "hoTenMe": person.mother_name,
                "hoTenVoChong": person.spouse_name,
            }
        ),
        "quaTrinhCuTru": [
            _optional(
                {
                    "tuNgay": _month(period.from_month),
                    "denNgay": _month(period.to_month) if period.to_month else None,
                    "noiCuTru": period.place,
                    "ngheNghiep": period.occupation,
                    "noiLamViec": period.workplace,
                }
            )
            for period in req.residence_history
        ],
        "ngayHenTra": to_vn_date(req.appointment_date),
    }
    if req.proxy is not None:
        form["nguoiUyQuyen"] = {
            "hoTen": req.proxy.full_name,
            "soGiayTo": req.proxy.id_number,
            "quanHe": req.proxy.relationship,
        }
    return {"maTinh": province, "maHoSoMCDT": code, "nguonDangKy": _SOURCE[req.source], "toKhai": form}


def revocation_body(req: RevocationRequest) -> dict[str, Any]:
    """The body of POST /api/lltp/thuhoi/{maHoSoMCDT}."""
    return {
        "soQuyetDinh": req.decision_number,
        "ngayQuyetDinh": to_vn_date(req.decision_date),
        "lyDo": req.reason,
        "nguoiKy": req.signer,
    }


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireConviction(_Wire):
    banAn: str
    toaAn: str
    toiDanh: str
    hinhPhat: str
    daXoaAnTich: bool


class WireCertificate(_Wire):
    """ketQua."""

    soPhieuLLTP: str
    ngayCapPhieu: str
    loaiPhieu: int
    soLuongCap: int
    tinhTrangAnTich: Literal["Không có án tích", "Có án tích"]
    noiDungAnTich: list[WireConviction] = []
    coQuanCap: str
    nguoiKy: str
    urlPhieu: str
    maBamPhieu: str
    tepPhieu: str | None = None


class WireRevocation(_Wire):
    soQuyetDinh: str
    ngayQuyetDinh: str
    lyDo: str
    nguoiKy: str


class WireCase(_Wire):
    """HoSoLLTP."""

    maHoSoMCDT: str
    maHoSoLLTP: str
    nguonDangKy: Literal[1, 2, 3]
    loaiPhieu: int
    trangThai: Literal[1, 2, 3, 9, 10, 11]
    ngayTiepNhan: str
    ngayHenTra: str
    hanXuLy: str
    ketQua: WireCertificate | None = None
    lyDoTuChoi: str | None = None
    thuHoi: WireRevocation | None = None


def _certificate(wire: WireCertificate) -> Certificate:
    return Certificate(
        number=wire.soPhieuLLTP,
        issued_on=parse_vn_date(wire.ngayCapPhieu, PROVIDER),
        certificate_type=wire.loaiPhieu,
        copies=wire.soLuongCap,
        criminal_record="none" if wire.tinhTrangAnTich == "Không có án tích" else "convicted",
        convictions=[
            Conviction(
                judgment=c.banAn,
                court=c.toaAn,
                offence=c.toiDanh,
                sentence=c.hinhPhat,
                expunged=c.daXoaAnTich,
            )
            for c in wire.noiDungAnTich
        ],
        issuer=wire.coQuanCap,
        signer=wire.nguoiKy,
        pdf_url=wire.urlPhieu,
        pdf_sha256=wire.maBamPhieu,
        pdf_base64=wire.tepPhieu,
    )


def to_case(wire: WireCase) -> CertificateCase:
    """A request in canonical form."""
    revocation = None
    if wire.thuHoi is not None:
        revocation = Revocation(
            decision_number=wire.thuHoi.soQuyetDinh,
            decision_date=parse_vn_date(wire.thuHoi.ngayQuyetDinh, PROVIDER),
            reason=wire.thuHoi.lyDo,
            signer=wire.thuHoi.nguoiKy,
        )
    return CertificateCase(
        dossier_number=wire.maHoSoMCDT,
        system_id=wire.maHoSoLLTP,
        source=_SOURCE_OF[wire.nguonDangKy],
        certificate_type=wire.loaiPhieu,
        status=_STATUS[wire.trangThai],
        status_code=wire.trangThai,
        received_at=parse_vn_time(wire.ngayTiepNhan, PROVIDER),
        appointment_date=parse_vn_date(wire.ngayHenTra, PROVIDER),
        deadline=parse_vn_time(wire.hanXuLy, PROVIDER),
        certificate=_certificate(wire.ketQua) if wire.ketQua else None,
        refusal_reason=wire.lyDoTuChoi,
        revocation=revocation,
    )
