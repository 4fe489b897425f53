"""Canonical models of DongBoHoSoMC: the request is the portal's national dossier format as it arrives
(PascalCase, times yyyyMMddHHmmss in Vietnam time); the answer is snake_case English like every other."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]
PortalTime = Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")]
DossierNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]


class _Portal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChuHoSo(_Portal):
    """The dossier's owner."""

    HoVaTen: Text
    SoDinhDanh: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]


class PhiLePhi(_Portal):
    """A fee (LoaiPhiLePhi 1) or charge (2) of the procedure, in VND."""

    MaPhiLePhi: Text
    TenPhiLePhi: Text
    Gia: int = Field(ge=0)
    LoaiPhiLePhi: Literal[1, 2]


class DongBoHoSoRequest(_Portal):
    """A dossier synchronised by the National Public Service Portal (DongBoHoSoMC)."""

    MaHoSo: DossierNumber
    MaTTHC: Text
    TenTTHC: Text
    MaLinhVuc: Text
    TenLinhVuc: Text
    MaDVC: Text
    ChuHoSo: ChuHoSo
    KenhThucHien: Literal[1, 2, 3] = Field(description="1 in person, 2 online, 3 public postal service")
    NgayTiepNhan: PortalTime = Field(description="yyyyMMddHHmmss, Vietnam time")
    NgayHenTra: PortalTime = Field(description="yyyyMMddHHmmss, Vietnam time")
    TrangThaiHoSo: int = Field(ge=1, le=10)
    TrichYeuHoSo: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    DonViXuLy: Text
    LePhi: list[PhiLePhi] = Field(default_factory=list, max_length=20)


class DossierReceipt(BaseModel):
    """The province's acknowledgement: its own id for the dossier and when it took it in."""

    dossier_number: str
    system_id: str = Field(description="the one-stop system's id, e.g. MC.031.00000001")
    received_at: datetime
