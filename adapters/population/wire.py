"""The population database's SOAP wire format (its own field names) and their mapping to canonical models.

Provider data is validated by lenient wire models (unknown fields ignored); anything that does not
fit — a missing id number, a date that is not yyyymmdd, an unknown sex code — is a BadResponse.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from adapters.population.models import (
    Address,
    Citizen,
    CitizenLookupRequest,
    CitizenLookupResponse,
    Household,
    Outcome,
    PersonName,
    Relative,
    Sex,
    VerifyCitizenRequest,
    VerifyCitizenResponse,
)
from adapters.sdk import describe_validation_error, element_to_dict, find_by_local_name, local_name
from bus.errors import BadResponse

VERIFY_NAMESPACE = "http://dancuquocgia.bca"
LOOKUP_NAMESPACE = "http://www.mic.gov.vn/dancu/1.0"
VERIFY_OPERATION = "XacThucThongTinCongDanRequest"
LOOKUP_OPERATION = "XacMinhThongTinNhanThanRequest"
PROVIDER = "population database"
_SEXES: dict[str, Sex] = {"1": "male", "2": "female", "3": "undetermined"}
_OUTCOMES: dict[str, Outcome] = {"00": "match", "01": "not_found", "02": "data_mismatch"}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class WireName(_Wire):
    """HoVaTen as three parts."""

    Ho: str | None = None
    ChuDem: str | None = None
    Ten: str | None = None

    def joined(self) -> str:
        """The name as written: family, middle, given."""
        return " ".join(part for part in (self.Ho, self.ChuDem, self.Ten) if part)


class WireBirth(_Wire):
    """NgayThangNamSinh: year, and the full date as yyyymmdd."""

    Nam: int | None = None
    NgayThangNam: date | None = None

    @field_validator("NgayThangNam", mode="before")
    @classmethod
    def _yyyymmdd(cls, value: Any) -> Any:
        if isinstance(value, str):
            return datetime.strptime(value, "%Y%m%d").date()
        return value


class WireAddress(_Wire):
    """An address block (NoiDangKyKhaiSinh, QueQuan, ThuongTru, NoiOHienTai)."""

    MaTinhThanh: str | None = None
    MaQuanHuyen: str | None = None
    MaPhuongXa: str | None = None
    ChiTiet: str | None = None
    QuocGia: str | None = None


class WireRelative(_Wire):
    """A relative block (Cha, Me, VoChong, NguoiDaiDien)."""

    HoVaTen: str
    QuocTich: str | None = None
    SoDinhDanh: str | None = None
    SoCMND: str | None = None


class WireHouseholdHead(_Wire):
    """ChuHo: the relation to the head and the head's identity."""

    QuanHe: str | None = None
    SoDinhDanh: str | None = None
    SoCMND: str | None = None
    HoVaTen: str | WireName | None = None


class WireCongDan(_Wire):
    """One CongDan record."""

    SoDinhDanh: str
    SoCMND: str | None = None
    HoVaTen: WireName
    GioiTinh: Literal["1", "2", "3"] | None = None
    DanToc: str | None = None
    TonGiao: str | None = None
    TinhTrangHonNhan: str | None = None
    NhomMau: str | None = None
    NgayThangNamSinh: WireBirth | None = None
    NoiDangKyKhaiSinh: WireAddress | None = None
    QueQuan: WireAddress | None = None
    ThuongTru: WireAddress | None = None
    NoiOHienTai: WireAddress | None = None
    Cha: WireRelative | None = None
    Me: WireRelative | None = None
    VoChong: WireRelative | None = None
    NguoiDaiDien: WireRelative | None = None
    ChuHo: WireHouseholdHead | None = None
    SoSoHoKhau: str | None = None


def verify_fields(request: VerifyCitizenRequest, officer: str, request_code: str) -> dict[str, Any]:
    """The XacThucThongTinCongDanRequest fields, in wire order."""
    return {
        "MaYeuCau": request_code,
        "MaDichVu": request.public_service_code,
        "MaCanBo": officer,
        "SoDinhDanh": request.id_number,
        "SoCMND": request.old_id_number,
        "HoVaTen": request.full_name,
    }


def lookup_fields(request: CitizenLookupRequest, officer: str, request_code: str) -> dict[str, Any]:
    """The XacMinhThongTinNhanThanRequest fields, in wire order."""
    return {
        "MaYeuCau": request_code,
        "MaDVC": request.public_service_code,
        "MaTichHop": request.integration_code,
        "MaDonVi": request.unit_code,
        "MaCanBo": officer,
        "SoDinhDanh": request.id_number,
        "SoCMND": request.old_id_number,
        "HoVaTen": request.full_name,
        "NgayThangNamSinh": request.birth_date.strftime("%Y%m%d") if request.birth_date else None,
    }


def verify_answer(content: Any) -> VerifyCitizenResponse:
    """KetQuaXacThucResponse{TonTai} as the canonical answer."""
    found = find_by_local_name(content, "TonTai")
    text = (found.text or "").strip().lower() if found is not None else None
    if text not in ("true", "false", "1", "0"):
        raise BadResponse(f"{PROVIDER} answered {local_name(content)!r} without a boolean TonTai")
    exists = text in ("true", "1")
    outcome, message = _outcome(content, exists)
    return VerifyCitizenResponse(exists=exists, outcome=outcome, provider_message=message)


def lookup_answer(content: Any, id_number: str) -> CitizenLookupResponse:
    """CongdanCollection as the canonical answer; an empty collection means not found."""
    collection = find_by_local_name(content, "CongdanCollection")
    if collection is None:
        raise BadResponse(f"{PROVIDER} answered {local_name(content)!r} without a CongdanCollection")
    records = [_congdan(child) for child in collection if local_name(child) == "CongDan"]
    matching = [record for record in records if record.SoDinhDanh == id_number]
    outcome, message = _outcome(collection, bool(records))
    if not records:
        return CitizenLookupResponse(found=False, outcome=outcome, provider_message=message)
    if len(matching) != 1:
        raise BadResponse(
            f"{PROVIDER} answered {len(records)} record(s), {len(matching)} of them for the id asked"
        )
    citizen = to_citizen(matching[0])
    return CitizenLookupResponse(found=True, citizen=citizen, outcome=outcome, provider_message=message)


def _outcome(content: Any, found: bool) -> tuple[Outcome | None, str | None]:
    """MaKetQua and MoTaKetQua when the provider sends them; a code contradicting the answer is garbage."""
    code_element = find_by_local_name(content, "MaKetQua")
    message_element = find_by_local_name(content, "MoTaKetQua")
    message = None
    if message_element is not None and message_element.text and message_element.text.strip():
        message = message_element.text.strip()
    if code_element is None:
        return None, message
    code = (code_element.text or "").strip()
    outcome = _OUTCOMES.get(code)
    if outcome is None:
        raise BadResponse(f"{PROVIDER} answered an unknown result code MaKetQua={code!r}")
    if (outcome == "match") != found:
        raise BadResponse(f"{PROVIDER} answered MaKetQua={code} contradicting its own result")
    return outcome, message


def _congdan(element: Any) -> WireCongDan:
    try:
        return WireCongDan.model_validate(element_to_dict(element))
    except ValidationError as exc:
        problem = describe_validation_error(exc)
        raise BadResponse(f"{PROVIDER} answered an invalid CongDan: {problem}") from exc


def _address(block: WireAddress | None) -> Address | None:
    if block is None:
        return None
    return Address(
        province_code=block.MaTinhThanh,
        district_code=block.MaQuanHuyen,
        ward_code=block.MaPhuongXa,
        detail=block.ChiTiet,
        country=block.QuocGia,
    )


def _relative(block: WireRelative | None) -> Relative | None:
    if block is None:
        return None
    return Relative(
        full_name=block.HoVaTen,
        nationality=block.QuocTich,
        id_number=block.SoDinhDanh,
        old_id_number=block.SoCMND,
    )


def _household(record: WireCongDan) -> Household | None:
    head = record.ChuHo
    if head is None and record.SoSoHoKhau is None:
        return None
    name = head.HoVaTen if head is not None else None
    return Household(
        relation_code=head.QuanHe if head else None,
        head_id_number=head.SoDinhDanh if head else None,
        head_old_id_number=head.SoCMND if head else None,
        head_full_name=name.joined() if isinstance(name, WireName) else name,
        book_number=record.SoSoHoKhau,
    )


def to_citizen(record: WireCongDan) -> Citizen:
    """A CongDan record in canonical form; every text is passed through unchanged (diacritics kept)."""
    birth = record.NgayThangNamSinh
    birth_date = birth.NgayThangNam if birth else None
    return Citizen(
        id_number=record.SoDinhDanh,
        old_id_number=record.SoCMND,
        name=PersonName(
            family_name=record.HoVaTen.Ho or "",
            middle_name=record.HoVaTen.ChuDem or "",
            given_name=record.HoVaTen.Ten or "",
            full_name=record.HoVaTen.joined(),
        ),
        sex=_SEXES[record.GioiTinh] if record.GioiTinh else None,
        birth_date=birth_date,
        birth_year=birth.Nam if birth and birth.Nam else (birth_date.year if birth_date else None),
        ethnicity_code=record.DanToc,
        religion_code=record.TonGiao,
        marital_status_code=record.TinhTrangHonNhan,
        blood_type=record.NhomMau,
        birth_registration_place=_address(record.NoiDangKyKhaiSinh),
        hometown=_address(record.QueQuan),
        permanent_address=_address(record.ThuongTru),
        current_address=_address(record.NoiOHienTai),
        father=_relative(record.Cha),
        mother=_relative(record.Me),
        spouse=_relative(record.VoChong),
        representative=_relative(record.NguoiDaiDien),
        household=_household(record),
    )
