"""The Ministry of Justice's civil-status (hộ tịch) wire format: requests and records, with its field names.

Dates travel as ISO `yyyy-mm-dd`. Every registration carries the dossier number `maHoSo`, the key that makes
registering twice harmless.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MaHoSo = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")
]
SoDinhDanh = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
MaDanToc = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
MaQuocTich = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class LoaiGiayTo(IntEnum):
    """Kind of identity paper; only a personal ID number (CCCD) can be checked against the population."""

    CMND = 1
    CCCD = 2
    HO_CHIEU = 3


class GioiTinh(IntEnum):
    """Sex as the registry codes it."""

    NAM = 1
    NU = 2
    CHUA_XAC_DINH = 3


class TrangThai(IntEnum):
    """State of a registration: done, or held until the population database issues the ID number."""

    DA_DANG_KY = 1
    CHO_CAP_SO_DINH_DANH = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NguoiThan(_Strict):
    """A parent or spouse as the registry records them."""

    HoTen: Text
    NgaySinh: date
    DanToc: MaDanToc = "01"
    QuocTich: MaQuocTich = "VN"
    NoiCuTru: Text
    LoaiGiayToTuyThan: LoaiGiayTo = LoaiGiayTo.CCCD
    SoGiayToTuyThan: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{6,12}$")]


class NguoiYeuCau(_Strict):
    """The person who asks for the registration (người yêu cầu, `nyc`)."""

    HoTen: Text
    QuanHe: Text
    LoaiGiayToTuyThan: LoaiGiayTo = LoaiGiayTo.CCCD
    SoGiayToTuyThan: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{6,12}$")]


class Registration(_Strict):
    """Anything registered: it carries the dossier number that makes it idempotent."""

    maHoSo: MaHoSo


class SoDangKy(Registration):
    """Register-book fields every registration of an event shares."""

    so: Text
    quyenSo: Text
    trangSo: Text
    ngayDangKy: date
    noiDangKy: Text
    nguoiKy: Text
    chucVuNguoiKy: Text
    nguoiThucHien: Text


class KhaiSinhRequest(SoDangKy):
    """Register a birth (khai sinh)."""

    loaiDangKy: Literal[1, 2, 4] = Field(description="1 on time, 2 re-registration, 4 late")
    nksHoTen: Text
    nksGioiTinh: GioiTinh
    nksNgaySinh: date
    nksNoiSinh: Text
    nksQueQuan: Text
    nksDanToc: MaDanToc = "01"
    nksQuocTich: MaQuocTich = "VN"
    nksLoaiKhaiSinh: Literal[1, 2] = Field(1, description="1 born in Vietnam, 2 born abroad")
    me: NguoiThan
    cha: NguoiThan | None = None
    nyc: NguoiYeuCau


class BoSungKhaiSinh(_Strict):
    """Supplementary documents for a birth left pending; states the sex when it was undetermined."""

    taiLieuBoSung: list[Text] = Field(min_length=1, description="names of the documents supplied")
    nksGioiTinh: Literal[1, 2] | None = None


class KhaiTuRequest(SoDangKy):
    """Register a death (khai tử) of a person known to the population database."""

    nktHoTen: Text
    nktSoDinhDanh: SoDinhDanh
    nktNgayChet: date
    nktNoiChet: Text
    nktNguyenNhan: Text
    nyc: NguoiYeuCau


class KetHonRequest(SoDangKy):
    """Register a marriage (kết hôn); both spouses are identified by their personal ID numbers."""

    chong: NguoiThan
    vo: NguoiThan


class XacNhanTTHNRequest(Registration):
    """Ask for a marital-status certificate (xác nhận tình trạng hôn nhân)."""

    soDinhDanh: SoDinhDanh
    hoTen: Text
    mucDichSuDung: Text
    ngayDangKy: date
    noiDangKy: Text
    nguoiKy: Text
    chucVuNguoiKy: Text
    nyc: NguoiYeuCau


class TinhTrangHonNhan(IntEnum):
    """Marital status as the certificate states it."""

    CHUA_KET_HON = 1
    DANG_CO_VO_CHONG = 2
    DA_LY_HON = 3
    GOA = 4


class HoTichRecord(BaseModel):
    """A registered event as the registry answers it: the request echoed plus what the registry decided."""

    id: str
    loai: Literal["khaisinh", "khaitu", "kethon", "xacnhantthn"]
    maHoSo: str
    trangThai: TrangThai
    nksSoDinhDanh: str | None = None
    tinhTrangHonNhan: TinhTrangHonNhan | None = None
    yeuCauBoSung: list[str] = Field(default_factory=list)
    nguoiLienQuan: list[str] = Field(default_factory=list, description="personal ID numbers involved")
    duLieu: dict[str, object]


class LoiTruong(BaseModel):
    """One faulty field, by its Ministry name (dotted path for nested ones)."""

    truong: str
    thongBao: str


class LoiBody(BaseModel):
    """The registry's one error body."""

    maLoi: str
    thongBao: str
    chiTiet: list[LoiTruong] = Field(default_factory=list)


class EffectCounts(BaseModel):
    """How many registrations actually took effect, by kind; for reconciliation tests."""

    khaisinh: int = Field(0, description="births registered with an ID number issued")
    khaisinh_cho_cap_so: int = Field(0, description="births currently waiting for their ID number")
    khaitu: int = 0
    khaitu_cho_bao_dan_cu: int = Field(
        0, description="deaths not yet taken by the population database of another process"
    )
    kethon: int = 0
    xacnhantthn: int = 0
