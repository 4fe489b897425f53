"""The residence database's wire format (CSDL về cư trú, Bộ Công an): camelCase, ISO dates and times.

Every request carries the one-stop dossier code `maHoSo`, the key that makes a repeated request harmless.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MaHoSo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
SoDinhDanh = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
SoSoHoKhau = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]

# trangThai of a residence dossier
TIEP_NHAN, XAC_MINH, DANG_XU_LY, HOAN_THANH = 1, 2, 3, 4
STATUS_NAMES = {
    TIEP_NHAN: "Đã tiếp nhận",
    XAC_MINH: "Đang xác minh",
    DANG_XU_LY: "Đang xử lý",
    HOAN_THANH: "Hoàn thành",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NguoiKeKhai(_Wire):
    """Who files the declaration (a parent for a newborn, a relative for a death)."""

    hoTen: Text
    soDinhDanh: SoDinhDanh
    quanHe: Text = Field(description="relation to the person registered, e.g. Mẹ, Con")


class TreEm(_Wire):
    """The child registered: identified by the number the population database issued at birth."""

    soDinhDanh: SoDinhDanh
    hoTen: Text
    ngaySinh: date
    gioiTinh: Literal[1, 2] = Field(description="1 Nam, 2 Nữ")


class ChuHo(_Wire):
    """The head of the receiving household."""

    soDinhDanh: SoDinhDanh
    hoTen: Text


class DangKyThuongTruRequest(_Wire):
    """Register a newborn's permanent residence in a household (đăng ký thường trú cho trẻ sơ sinh)."""

    maHoSo: MaHoSo
    nguoiDangKy: TreEm
    chuHo: ChuHo
    soSoHoKhau: SoSoHoKhau
    quanHeVoiChuHo: Annotated[str, StringConstraints(pattern=r"^CH0[2-9]$")] = Field(
        "CH04", description="CH04 con, CH07 cháu"
    )
    nguoiKeKhai: NguoiKeKhai
    kenhNop: Literal[1, 2, 3] = Field(2, description="1 in person, 2 online, 3 post")


class TrichLucKhaiTu(_Wire):
    """The death extract or notice the removal rests on."""

    so: Text
    ngayCap: date
    coQuanCap: Text


class XoaDangKyThuongTruRequest(_Wire):
    """Remove a deceased person's permanent residence (xóa đăng ký thường trú, lý do: chết)."""

    maHoSo: MaHoSo
    soDinhDanh: SoDinhDanh
    hoTen: Text
    lyDoXoa: Literal[1] = Field(1, description="1 the person died (the only reason this system takes)")
    ngayChet: date
    trichLucKhaiTu: TrichLucKhaiTu | None = Field(
        None, description="required for a declaration; an event rests on the population database's record"
    )
    nguonYeuCau: Literal[1, 2] = Field(
        1, description="1 a declaration filed, 2 an event from the population database"
    )
    nguoiKeKhai: NguoiKeKhai | None = None

    @model_validator(mode="after")
    def _extract_for_a_declaration(self) -> Self:
        if self.nguonYeuCau == 1 and self.trichLucKhaiTu is None:
            raise ValueError("trichLucKhaiTu: a declaration (nguonYeuCau 1) rests on the death extract")
        return self


class BuocXuLy(BaseModel):
    """One step of a dossier's history."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: datetime
    noiDung: str


class KetQuaCuTru(BaseModel):
    """The outcome once the dossier is done."""

    ngayThucHien: date
    soDinhDanh: str
    hoTen: str
    tinhTrangCuTru: Literal["THUONG_TRU", "DA_XOA_DANG_KY_THUONG_TRU"]
    noiThuongTru: str
    soSoHoKhau: str
    chuHo: str
    quanHeVoiChuHo: str | None = None


class HoSoCuTru(BaseModel):
    """A residence dossier as the system answers it, as of the simulated now."""

    maHoSo: str
    maHoSoCuTru: str
    loaiThuTuc: Literal["DANG_KY_THUONG_TRU", "XOA_DANG_KY_THUONG_TRU"]
    trangThai: int
    tenTrangThai: str
    canXacMinh: bool
    ngayTiepNhan: datetime
    ngayHenTra: datetime
    ngayHoanThanh: datetime | None = None
    lichSu: list[BuocXuLy]
    ketQua: KetQuaCuTru | None = None


class CongDanCuTru(BaseModel):
    """A person's residence as the database holds it now."""

    soDinhDanh: str
    hoTen: str
    tinhTrangCuTru: Literal["THUONG_TRU", "DA_XOA_DANG_KY_THUONG_TRU", "CHUA_DANG_KY"]
    noiThuongTru: str | None
    soSoHoKhau: str | None
    chuHo: str | None


class Effects(BaseModel):
    """Dossiers taken into account (a replayed request counts once)."""

    dang_ky_thuong_tru: int = 0
    xoa_dang_ky_thuong_tru: int = 0
    can_xac_minh: int = 0
