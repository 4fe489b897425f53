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


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProcedureRef(_Canonical):
    """The administrative procedure (thủ tục hành chính) of a dossier."""

    code: Text = Field(description="maTTHC, e.g. 2.000908")
    name: Text
    field_code: Text = Field(description="maLinhVuc, e.g. HT")
    field_name: Text
    service_code: Text = Field(description="maDVC, the online service")


class Owner(_Canonical):
    """Whose dossier it is."""

    full_name: Text
    id_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]


class Fee(_Canonical):
    """A fee (kind 1) or charge (kind 2) collected, in VND."""

    code: Text
    name: Text
    amount_vnd: int = Field(ge=0)
    kind: Literal[1, 2] = 1


class HandOverRequest(_Canonical):
    """A dossier accepted and paid, handed to the one-stop system's officers for their decision
    (ChuyenXuLyHoSo): the system records it at status 4 and reports nothing; the caller reads the
    decision with TraCuuXuLyHoSo and reports the progress."""

    dossier_number: DossierNumber
    procedure: ProcedureRef
    owner: Owner
    channel: Literal[1, 2, 3] = Field(2, description="1 in person, 2 online, 3 public postal service")
    received_at: datetime = Field(description="when the portal received it (with offset)")
    due_at: datetime | None = Field(None, description="the appointment; left out: the system's default")
    summary: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    unit: Text = Field(description="the processing unit (donViXuLy)")
    fees: list[Fee] = Field(default_factory=list, max_length=20)


class ProgressLookup(_Canonical):
    """Which dossier's processing to read (TraCuuXuLyHoSo)."""

    dossier_number: DossierNumber


class DossierProgress(BaseModel):
    """A dossier's processing in the one-stop system as of now: its latest status and who set it why."""

    dossier_number: str
    system_id: str
    status: int = Field(
        description="1-10; after a hand-over 4, 5 supplement requested, 8 refused, 9 approved"
    )
    status_name: str
    updated_at: datetime
    note: str
    officer: str
    due_at: datetime
