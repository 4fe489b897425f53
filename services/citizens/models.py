"""A citizen as the population knows it, and the CongDan record of the national population database.

`Citizen` uses Python names; `CongDan` and its parts carry the population database's wire names
(`services/population/population.wsdl`), in wire order, so
a SOAP or JSON mock can serialise them field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from services.citizens.id_numbers import Sex

# Codes of the population database (assumed where public material does not fix them).
SEX_CODES: dict[Sex, str] = {"M": "1", "F": "2"}  # as the civil registry: 1 Nam, 2 Nữ
MARITAL_SINGLE, MARITAL_MARRIED, MARITAL_DIVORCED, MARITAL_WIDOWED = "1", "2", "3", "4"
RELATION_HEAD = "CH01"  # chủ hộ, the head of the household (ChuHo.QuanHe)
RELATION_WIFE, RELATION_HUSBAND, RELATION_CHILD = "CH02", "CH03", "CH04"
RELATION_FATHER, RELATION_MOTHER, RELATION_GRANDCHILD = "CH05", "CH06", "CH07"
NATIONALITY_VN = "VN"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Address(BaseModel):
    """An address: province (2 digits), district (3), ward or commune (5), free text, country."""

    model_config = _FROZEN

    province: str
    district: str
    ward: str
    detail: str
    country: str = NATIONALITY_VN


class Relative(BaseModel):
    """A parent, spouse or legal representative as a record names them; ids only when they have one."""

    model_config = _FROZEN

    full_name: str
    nationality: str = NATIONALITY_VN
    id_number: str | None = None
    old_id_number: str | None = None


class HouseholdLink(BaseModel):
    """A person's place in a household: relation to the head (CH01 = head), the head, the book number."""

    model_config = _FROZEN

    relation: str
    head_id_number: str
    head_old_id_number: str | None
    head_name: str
    book_number: str


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as their `Citizen` record has them, registered changes included, less their relatives
    and addresses: what a check of someone's data or civil status reads."""

    full_name: str
    birth_date: date
    old_id_number: str | None
    sex: Sex
    marital_status: str
    death_date: date | None = None


class Citizen(BaseModel):
    """One person of the population: derived from the population's seed, or registered through a mock."""

    model_config = _FROZEN

    id_number: str
    old_id_number: str | None
    family_name: str
    middle_name: str
    given_name: str
    sex: Sex
    birth_date: date
    ethnicity: str
    religion: str
    marital_status: str
    blood_type: str
    birth_registration: Address
    hometown: Address
    permanent_address: Address
    current_address: Address
    father: Relative | None
    mother: Relative | None
    spouse: Relative | None
    representative: Relative | None
    household: HouseholdLink

    @property
    def full_name(self) -> str:
        """Family name, middle name and given name, as written in Vietnamese."""
        return " ".join(part for part in (self.family_name, self.middle_name, self.given_name) if part)

    def to_congdan(self) -> CongDan:
        """The record in the population database's field names (CongDan of the WSDL)."""
        return CongDan(
            SoDinhDanh=self.id_number,
            SoCMND=self.old_id_number,
            HoVaTen=HoVaTen(Ho=self.family_name, ChuDem=self.middle_name, Ten=self.given_name),
            GioiTinh=SEX_CODES[self.sex],
            DanToc=self.ethnicity,
            TonGiao=self.religion,
            TinhTrangHonNhan=self.marital_status,
            NhomMau=self.blood_type,
            NgayThangNamSinh=NgayThangNamSinh(
                Nam=str(self.birth_date.year), NgayThangNam=self.birth_date.strftime("%Y%m%d")
            ),
            NoiDangKyKhaiSinh=DiaChi.of(self.birth_registration),
            QueQuan=DiaChi.of(self.hometown),
            ThuongTru=DiaChi.of(self.permanent_address),
            NoiOHienTai=DiaChi.of(self.current_address),
            Cha=NguoiThan.of(self.father),
            Me=NguoiThan.of(self.mother),
            VoChong=NguoiThan.of(self.spouse),
            NguoiDaiDien=NguoiThan.of(self.representative),
            ChuHo=ChuHo(
                QuanHe=self.household.relation,
                SoDinhDanh=self.household.head_id_number,
                SoCMND=self.household.head_old_id_number,
                HoVaTen=self.household.head_name,
            ),
            SoSoHoKhau=self.household.book_number,
        )


class HoVaTen(BaseModel):
    """Full name in three parts: family name, middle name (chữ đệm), given name."""

    model_config = _FROZEN

    Ho: str
    ChuDem: str
    Ten: str


class NgayThangNamSinh(BaseModel):
    """Birth date: the year, and the full date as yyyymmdd."""

    model_config = _FROZEN

    Nam: str
    NgayThangNam: str


class DiaChi(BaseModel):
    """An address block of a CongDan record."""

    model_config = _FROZEN

    MaTinhThanh: str
    MaQuanHuyen: str
    MaPhuongXa: str
    ChiTiet: str
    QuocGia: str

    @classmethod
    def of(cls, address: Address) -> DiaChi:
        """The wire form of an address."""
        return cls(
            MaTinhThanh=address.province,
            MaQuanHuyen=address.district,
            MaPhuongXa=address.ward,
            ChiTiet=address.detail,
            QuocGia=address.country,
        )


class NguoiThan(BaseModel):
    """A relative block (Cha, Me, VoChong, NguoiDaiDien)."""

    model_config = _FROZEN

    HoVaTen: str
    QuocTich: str
    SoDinhDanh: str | None
    SoCMND: str | None

    @classmethod
    def of(cls, relative: Relative | None) -> NguoiThan | None:
        """The wire form of a relative, or None when there is none."""
        if relative is None:
            return None
        return cls(
            HoVaTen=relative.full_name,
            QuocTich=relative.nationality,
            SoDinhDanh=relative.id_number,
            SoCMND=relative.old_id_number,
        )


class ChuHo(BaseModel):
    """The head of the person's household and the person's relation to them."""

    model_config = _FROZEN

    QuanHe: str
    SoDinhDanh: str
    SoCMND: str | None
    HoVaTen: str


class CongDan(BaseModel):
    """A citizen record of the national population database, field for field as on the wire."""

    model_config = _FROZEN

    SoDinhDanh: str
    SoCMND: str | None
    HoVaTen: HoVaTen
    GioiTinh: str
    DanToc: str
    TonGiao: str
    TinhTrangHonNhan: str
    NhomMau: str
    NgayThangNamSinh: NgayThangNamSinh
    NoiDangKyKhaiSinh: DiaChi
    QueQuan: DiaChi
    ThuongTru: DiaChi
    NoiOHienTai: DiaChi
    Cha: NguoiThan | None
    Me: NguoiThan | None
    VoChong: NguoiThan | None
    NguoiDaiDien: NguoiThan | None
    ChuHo: ChuHo
    SoSoHoKhau: str
