"""The social-protection system's wire format (camelCase, dd/MM/yyyy) and its canonical mapping."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from adapters.sdk import parse_vn_date, parse_vn_time, to_vn_date
from adapters.social.models import AllowanceDecision, FuneralAllowanceDossier, FuneralAllowanceRequest

PROVIDER = "social protection system (MOLISA)"
_STATUS: dict[int, Literal["received", "in_progress", "decided"]] = {
    1: "received",
    2: "in_progress",
    3: "decided",
}
FIELDS = {
    "maHoSo": "dossier_number",
    "nguoiMat.soDinhDanh": "deceased.id_number",
    "nguoiMat.hoTen": "deceased.full_name",
    "nguoiMat.ngayMat": "deceased.death_date",
    "nguoiLoMaiTang.soDinhDanh": "organiser.id_number",
    "nguoiLoMaiTang.hoTen": "organiser.full_name",
    "nguoiLoMaiTang.quanHe": "organiser.relationship",
    "nguoiLoMaiTang.diaChi": "organiser.address",
    "hinhThucNhan": "payment",
}


def allowance_body(req: FuneralAllowanceRequest, code: str) -> dict[str, Any]:
    """The body of POST /api/v1/trogiup/mai-tang."""
    return {
        "maHoSo": code,
        "nguoiMat": {
            "soDinhDanh": req.deceased.id_number,
            "hoTen": req.deceased.full_name,
            "ngayMat": to_vn_date(req.deceased.death_date),
        },
        "nguoiLoMaiTang": {
            "hoTen": req.organiser.full_name,
            "soDinhDanh": req.organiser.id_number,
            "quanHe": req.organiser.relationship,
            "diaChi": req.organiser.address,
        },
        "hinhThucNhan": 2 if req.payment == "bank" else 1,
    }


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireDecision(_Wire):
    """quyetDinh."""

    soQuyetDinh: str
    ngayQuyetDinh: str
    doiTuong: str
    tenDoiTuong: str
    soTien: int
    nguoiNhan: str


class WireDossier(_Wire):
    """HoSoMaiTang."""

    maHoSo: str
    maHoSoBtxh: str
    trangThai: Literal[1, 2, 3]
    ngayTiepNhan: str
    ngayHenTra: str
    ngayHoanThanh: str | None = None
    quyetDinh: WireDecision | None = None


def to_dossier(wire: WireDossier) -> FuneralAllowanceDossier:
    """A dossier in canonical form."""
    decision = None
    if wire.quyetDinh is not None:
        made = wire.quyetDinh
        decision = AllowanceDecision(
            decision_number=made.soQuyetDinh,
            decision_date=parse_vn_date(made.ngayQuyetDinh, PROVIDER),
            beneficiary_group=made.doiTuong,
            beneficiary_group_name=made.tenDoiTuong,
            amount_vnd=made.soTien,
            recipient=made.nguoiNhan,
        )
    return FuneralAllowanceDossier(
        dossier_number=wire.maHoSo,
        system_id=wire.maHoSoBtxh,
        status=_STATUS[wire.trangThai],
        status_code=wire.trangThai,
        received_at=parse_vn_time(wire.ngayTiepNhan, PROVIDER),
        due_at=parse_vn_time(wire.ngayHenTra, PROVIDER),
        finished_at=parse_vn_time(wire.ngayHoanThanh, PROVIDER) if wire.ngayHoanThanh else None,
        decision=decision,
    )
