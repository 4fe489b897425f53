"""The judicial-records system's wire format (lý lịch tư pháp, LLTP): camelCase, dates dd/MM/yyyy.

A request carries the one-stop dossier code `maHoSoMCDT` (mã hồ sơ một cửa điện tử), the province code
`maTinh`, the source `nguonDangKy` and the declaration `toKhai`; the result is polled.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.casework.vn_dates import NgayVN, ThoiDiemVN

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MaHoSo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
ThangNam = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])/[0-9]{4}$")]

TIEP_NHAN, TRA_CUU, XAC_MINH, DA_CAP, TU_CHOI, THU_HOI = 1, 2, 3, 9, 10, 11
STATUS_NAMES = {
    TIEP_NHAN: "Đã tiếp nhận",
    TRA_CUU: "Đang tra cứu CSDL lý lịch tư pháp",
    XAC_MINH: "Đang xác minh (Công an, Tòa án)",
    DA_CAP: "Đã cấp Phiếu lý lịch tư pháp",
    TU_CHOI: "Từ chối cấp Phiếu lý lịch tư pháp",
    THU_HOI: "Phiếu lý lịch tư pháp đã bị thu hồi",
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QuaTrinhCuTru(_Wire):
    """Where the person lived and worked, from age 14."""

    tuNgay: ThangNam
    denNgay: ThangNam | None = None
    noiCuTru: Text
    ngheNghiep: Text | None = None
    noiLamViec: Text | None = None


class NguoiUyQuyen(_Wire):
    """Who files the request for the person (only for certificate no. 1)."""

    hoTen: Text
    soGiayTo: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
    quanHe: Text


class ToKhai(_Wire):
    """The declaration (tờ khai yêu cầu cấp Phiếu lý lịch tư pháp)."""

    loaiPhieu: Literal[1, 2] = Field(description="1: unexpunged convictions only; 2: the full record")
    mucDich: Text
    soLuongCap: int = Field(ge=1, le=10)
    hoTen: Text
    tenGoiKhac: Text | None = None
    gioiTinh: Literal[1, 2] = Field(description="1 Nam, 2 Nữ")
    ngaySinh: NgayVN
    noiSinh: Text
    quocTich: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "VN"
    danToc: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")] = "01"
    loaiGiayTo: Literal[2] = Field(2, description="2 CCCD (personal ID number), the only one checked here")
    soGiayTo: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
    ngayCapGiayTo: NgayVN
    noiCapGiayTo: Text
    noiThuongTru: Text
    noiTamTru: Text | None = None
    dienThoai: Annotated[str, StringConstraints(pattern=r"^0[0-9]{9,10}$")] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)] | None = None
    hoTenCha: Text | None = None
    hoTenMe: Text | None = None
    hoTenVoChong: Text | None = None
    quaTrinhCuTru: list[QuaTrinhCuTru] = Field(min_length=1, max_length=30)
    nguoiUyQuyen: NguoiUyQuyen | None = None
    ngayHenTra: NgayVN = Field(description="the appointment the one-stop gave the citizen")


class DangKyCapPhieuRequest(_Wire):
    """A request for a judicial-record certificate, as the one-stop system forwards it."""

    maTinh: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
    maHoSoMCDT: MaHoSo
    nguonDangKy: Literal[1, 2, 3] = Field(description="1 VNeID, 2 National Public Service Portal, 3 one-stop")
    toKhai: ToKhai


class ThuHoiRequest(_Wire):
    """A revocation decision (quyết định thu hồi) of an issued certificate."""

    soQuyetDinh: Text
    ngayQuyetDinh: NgayVN
    lyDo: Text
    nguoiKy: Text


class KetQuaTraCuuRequest(_Wire):
    """A batch poll of results."""

    maTinh: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
    danhSachMaHoSo: list[MaHoSo] = Field(min_length=1)


class AnTich(BaseModel):
    """One conviction as a certificate states it."""

    banAn: str
    toaAn: str
    toiDanh: str
    hinhPhat: str
    daXoaAnTich: bool


class KetQuaLLTP(BaseModel):
    """The certificate issued."""

    soPhieuLLTP: str
    ngayCapPhieu: NgayVN
    loaiPhieu: int
    soLuongCap: int
    tinhTrangAnTich: Literal["Không có án tích", "Có án tích"]
    noiDungAnTich: list[AnTich]
    coQuanCap: str
    nguoiKy: str
    urlPhieu: str
    maBamPhieu: str = Field(description="SHA-256 of the PDF, as signed")
    tepPhieu: str | None = Field(None, description="the PDF, base64; left out of batch polls")


class ThuHoi(BaseModel):
    """The revocation, once decided."""

    soQuyetDinh: str
    ngayQuyetDinh: NgayVN
    lyDo: str
    nguoiKy: str


class BuocXuLy(BaseModel):
    """One step of a request's history."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: ThoiDiemVN
    noiDung: str


class HoSoLLTP(BaseModel):
    """A request as the system answers it, as of the simulated now."""

    maTinh: str
    maHoSoMCDT: str
    maHoSoLLTP: str
    nguonDangKy: int
    loaiPhieu: int
    trangThai: int
    tenTrangThai: str
    ngayTiepNhan: ThoiDiemVN
    ngayHenTra: NgayVN
    hanXuLy: ThoiDiemVN
    lichSu: list[BuocXuLy]
    ketQua: KetQuaLLTP | None = None
    lyDoTuChoi: str | None = None
    thuHoi: ThuHoi | None = None


class KetQuaTraCuu(BaseModel):
    """The answer to a batch poll."""

    ketQua: list[HoSoLLTP]
    khongTimThay: list[str]


class Effects(BaseModel):
    """Requests taken in and revocations made (a replay counts once)."""

    dang_ky: int = 0
    thu_hoi: int = 0
