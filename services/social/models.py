"""The social-protection system's wire format (Bộ LĐTBXH): camelCase, dates dd/MM/yyyy.

Every request carries the one-stop dossier code `maHoSo`, the key that makes a repeated request harmless.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.casework.vn_dates import NgayVN, ThoiDiemVN

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MaHoSo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
SoDinhDanh = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]

TIEP_NHAN, DANG_GIAI_QUYET, DA_CHI_TRA = 1, 2, 3
STATUS_NAMES = {
    TIEP_NHAN: "Đã tiếp nhận",
    DANG_GIAI_QUYET: "Đang giải quyết",
    DA_CHI_TRA: "Đã quyết định hỗ trợ",
}
BENEFICIARY_GROUPS = {
    "NCT80": "Người cao tuổi hưởng trợ cấp xã hội hằng tháng",
    "KTNANG": "Người khuyết tật nặng hưởng trợ cấp xã hội hằng tháng",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NguoiMat(_Wire):
    """The deceased beneficiary."""

    soDinhDanh: SoDinhDanh
    hoTen: Text
    ngayMat: NgayVN


class NguoiLoMaiTang(_Wire):
    """Who arranged the funeral and receives the allowance."""

    hoTen: Text
    soDinhDanh: SoDinhDanh
    quanHe: Text
    diaChi: Text


class HoTroMaiTangRequest(_Wire):
    """Claim the funeral allowance (hỗ trợ chi phí mai táng) of a social-assistance beneficiary."""

    maHoSo: MaHoSo
    nguoiMat: NguoiMat
    nguoiLoMaiTang: NguoiLoMaiTang
    hinhThucNhan: Literal[1, 2] = Field(1, description="1 cash at the commune, 2 bank account")


class QuyetDinhHoTro(BaseModel):
    """The allowance decided."""

    soQuyetDinh: str
    ngayQuyetDinh: NgayVN
    doiTuong: str
    tenDoiTuong: str
    soTien: int = Field(description="VND: 20 times the social-assistance standard")
    nguoiNhan: str


class BuocXuLy(BaseModel):
    """One step of a dossier's history."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: ThoiDiemVN
    noiDung: str


class HoSoMaiTang(BaseModel):
    """A funeral-allowance dossier as the system answers it, as of the simulated now."""

    maHoSo: str
    maHoSoBtxh: str
    trangThai: int
    tenTrangThai: str
    ngayTiepNhan: ThoiDiemVN
    ngayHenTra: ThoiDiemVN
    ngayHoanThanh: ThoiDiemVN | None = None
    lichSu: list[BuocXuLy]
    quyetDinh: QuyetDinhHoTro | None = None


class Effects(BaseModel):
    """Dossiers taken into account (a replayed request counts once)."""

    ho_tro_mai_tang: int = 0
