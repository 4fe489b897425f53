"""The one-stop system's own REST wire format (camelCase, ISO times) and its control-API models.

Unlike the portal's `DongBoHoSoMC` (PascalCase, yyyyMMddHHmmss), the province's system speaks its own
dialect: the LGSP adapter converts between the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]
DossierNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ThuTuc(_Wire):
    """The administrative procedure the dossier is for."""

    maTTHC: Text
    tenTTHC: Text
    maLinhVuc: Text
    tenLinhVuc: Text
    maDVC: Text


class ChuHoSo(_Wire):
    """The dossier's owner."""

    hoTen: Text
    soDinhDanh: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]


class PhiLePhi(_Wire):
    """A fee (loai 1) or charge (loai 2), in VND."""

    ma: Text
    ten: Text
    soTien: int = Field(ge=0)
    loai: Literal[1, 2]


class HoSoTiepNhan(_Wire):
    """A dossier handed to the one-stop system (POST /api/v1/hoso)."""

    maHoSo: DossierNumber
    thuTuc: ThuTuc
    chuHoSo: ChuHoSo
    kenhNop: Literal[1, 2, 3] = Field(description="1 in person, 2 online, 3 public postal service")
    ngayTiepNhan: AwareDatetime
    ngayHenTra: AwareDatetime | None = Field(
        None, description="the appointment; left out, the system sets it from soNgayGiaiQuyet working days"
    )
    soNgayGiaiQuyet: int | None = Field(None, ge=0, le=60, description="working days to settle the dossier")
    trangThaiTiepNhan: Literal[1, 4] = Field(
        1,
        description="1: new, the system accepts it and reports its own progress to the portal; 4: already "
        "accepted and its fee collected by the caller (the LGSP's journey), which reports the progress: the "
        "officers only decide (9, or 5 then 4 or 8, or 8) and the system reports nothing",
    )
    trichYeu: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    donViXuLy: Text
    phiLePhi: list[PhiLePhi] = Field(default_factory=list, max_length=20)
    nguon: Text = "DVCQG"

    @model_validator(mode="after")
    def _due_after_received(self) -> HoSoTiepNhan:
        if self.ngayHenTra is not None and self.ngayHenTra < self.ngayTiepNhan:
            raise ValueError("ngayHenTra: the due date is before ngayTiepNhan")
        return self


class BuocXuLy(BaseModel):
    """One step of a dossier's processing history."""

    trangThai: int
    tenTrangThai: str
    thoiDiem: datetime
    noiDung: str
    nguoiXuLy: str
    donViXuLy: str


class HoSoMotCua(BaseModel):
    """A dossier as the one-stop system holds it: as received, its system id, state and history so far."""

    maHoSo: str
    maHoSoHeThong: str
    thoiDiemNhan: datetime
    ngayHenTra: datetime = Field(description="the appointment in force (given, or set by the system)")
    trangThai: int
    tenTrangThai: str
    lichSu: list[BuocXuLy]
    hoSo: HoSoTiepNhan


class LoiMotCua(BaseModel):
    """The system's one error body: a code, a message, and the field at fault when there is one."""

    maLoi: str
    thongBao: str
    truong: str | None = None


class ProgressReport(BaseModel):
    """What the system sends to the LGSP's CapNhatTienDoHoSoMC service (the bus's canonical form)."""

    dossier_number: str
    status: int
    updated_at: datetime
    note: str
    officer: str | None = None
    unit: str | None = None


class Effects(BaseModel):
    """What the mock has done: dossiers taken in, progress reports and how they fared."""

    dossiers_received: int = 0
    reports_sent: int = 0
    reports_rejected: int = 0
    reports_retried: int = 0
    reports_deferred: int = 0
