"""Vietnam Social Security's wire format (BHXH/VSS): camelCase, dates dd/MM/yyyy, times dd/MM/yyyy HH:mm:ss.

Every request carries the one-stop dossier code `maHoSo`, the key that makes a repeated request harmless.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.casework.vn_dates import NgayVN, ThoiDiemVN

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MaHoSo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
SoDinhDanh = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
MaSoBhxh = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]

TIEP_NHAN, DANG_GIAI_QUYET, CO_KET_QUA = 1, 2, 3
STATUS_NAMES = {TIEP_NHAN: "Đã tiếp nhận", DANG_GIAI_QUYET: "Đang giải quyết", CO_KET_QUA: "Đã có kết quả"}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NguoiGiamHo(_Wire):
    """The child's parent or guardian."""

    hoTen: Text
    soDinhDanh: SoDinhDanh
    quanHe: Text = Field(description="e.g. Mẹ, Cha")


class CapTheTreEmRequest(_Wire):
    """Issue a health-insurance card to a child under six (cấp thẻ BHYT cho trẻ em dưới 6 tuổi)."""

    maHoSo: MaHoSo
    soDinhDanh: SoDinhDanh
    hoTen: Text
    ngaySinh: NgayVN
    gioiTinh: Literal[1, 2] = Field(description="1 Nam, 2 Nữ")
    diaChi: Text | None = None
    maCskcb: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")] | None = Field(
        None, description="initial clinic (nơi đăng ký KCB ban đầu); the nearest children's one if left out"
    )
    nguoiGiamHo: NguoiGiamHo


class NguoiChet(_Wire):
    """The deceased insured person."""

    soDinhDanh: SoDinhDanh
    hoTen: Text
    maSoBhxh: MaSoBhxh | None = None
    ngayChet: NgayVN


class NguoiNhan(_Wire):
    """The relative who receives the benefit."""

    hoTen: Text
    soDinhDanh: SoDinhDanh
    quanHe: Text


class TuTuatRequest(_Wire):
    """Settle the survivor benefit (chế độ tử tuất) of a deceased insured person."""

    maHoSo: MaHoSo
    nguoiChet: NguoiChet
    nguoiNhan: NguoiNhan
    hinhThucNhan: Literal[1, 2] = Field(1, description="1 cash at the post office, 2 bank account")
    soTaiKhoan: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,20}$")] | None = None
    nganHang: Text | None = None


class NoiKcb(BaseModel):
    """A clinic for initial registration."""

    maCskcb: str
    tenCskcb: str


class TheBhyt(BaseModel):
    """A health-insurance card."""

    soTheBhyt: str = Field(description="object code TE, benefit level 1, province, then the BHXH number")
    maSoBhxh: str
    hoTen: str
    ngaySinh: NgayVN
    gioiTinh: int
    maDoiTuong: Literal["TE"]
    mucHuong: int = Field(description="1: 100 % of covered costs")
    noiDangKyKcbBanDau: NoiKcb
    giaTriTu: NgayVN
    giaTriDen: NgayVN


class CheDoTuTuat(BaseModel):
    """The survivor benefit granted."""

    maSoBhxh: str
    soNamDong: int
    loaiTroCap: Literal[1, 2] = Field(description="1 monthly (tuất hằng tháng), 2 lump sum (tuất một lần)")
    mucHuongThang: int | None = None
    soTienMotLan: int | None = None
    thangBatDau: str = Field(description="MM/yyyy")
    nguoiNhan: str


class BuocXuLy(BaseModel):
    """One step of a dossier's history."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: ThoiDiemVN
    noiDung: str


class HoSoBhxh(BaseModel):
    """A dossier as the system answers it, as of the simulated now."""

    maHoSo: str
    maHoSoBhxh: str
    loaiHoSo: Literal["CAP_THE_BHYT_TE", "GIAI_QUYET_TU_TUAT"]
    trangThai: int
    tenTrangThai: str
    ngayTiepNhan: ThoiDiemVN
    ngayHenTra: ThoiDiemVN
    ngayHoanThanh: ThoiDiemVN | None = None
    lichSu: list[BuocXuLy]
    theBhyt: TheBhyt | None = None
    cheDoTuTuat: CheDoTuTuat | None = None


class Effects(BaseModel):
    """Dossiers taken into account (a replayed request counts once)."""

    the_bhyt_tre_em: int = 0
    tu_tuat: int = 0
