"""Canonical models of the population database's services: snake_case English on the bus side."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IdNumber = Annotated[
    str, Field(pattern=r"^\d{12}$", description="personal id number (số định danh / CCCD), 12 digits")
]
OldIdNumber = Annotated[
    str, Field(pattern=r"^(\d{9}|\d{12})$", description="old id card number (CMND), 9 or 12 digits")
]
Sex = Literal["male", "female", "undetermined"]
# The database's MaKetQua: 00 match, 01 no such citizen, 02 the citizen exists but data given differs.
Outcome = Literal["match", "not_found", "data_mismatch"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Request(_Canonical):
    officer_code: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="the officer asking (MaCanBo); defaults to the envelope's user id",
    )
    request_code: str | None = Field(
        None, min_length=1, max_length=64, description="MaYeuCau; defaults to the envelope's request_code"
    )


class VerifyCitizenRequest(_Request):
    """Does a citizen with this id number (and, if given, old id and name) exist?"""

    id_number: IdNumber
    old_id_number: OldIdNumber | None = None
    full_name: str | None = Field(None, min_length=1, max_length=150)
    public_service_code: str | None = Field(None, max_length=64, description="MaDichVu")


class _Answer(_Canonical):
    outcome: Outcome | None = Field(None, description="why, when the provider says (MaKetQua)")
    provider_message: str | None = Field(None, description="the provider's words (MoTaKetQua)")


class VerifyCitizenResponse(_Answer):
    """The verification's answer: False when no such citizen or data mismatch (not an error)."""

    exists: bool


class CitizenLookupRequest(_Request):
    """Look up a citizen's record by id number, optionally checked against name and birth date."""

    id_number: IdNumber
    old_id_number: OldIdNumber | None = None
    full_name: str | None = Field(None, min_length=1, max_length=150)
    birth_date: date | None = None
    public_service_code: str | None = Field(None, max_length=64, description="MaDVC")
    integration_code: str | None = Field(None, max_length=64, description="MaTichHop")
    unit_code: str | None = Field(None, max_length=64, description="MaDonVi, the asking agency")


class PersonName(_Canonical):
    """A Vietnamese name in its three parts, and as written."""

    family_name: str
    middle_name: str
    given_name: str
    full_name: str


class Address(_Canonical):
    """An administrative address: province, district and ward codes, free text, country."""

    province_code: str | None = None
    district_code: str | None = None
    ward_code: str | None = None
    detail: str | None = None
    country: str | None = None


class Relative(_Canonical):
    """A parent, spouse or legal representative as the record names them."""

    full_name: str
    nationality: str | None = None
    id_number: str | None = None
    old_id_number: str | None = None


class Household(_Canonical):
    """The citizen's household: relation to its head (CH01 = the head), the head, the book number."""

    relation_code: str | None = None
    head_id_number: str | None = None
    head_old_id_number: str | None = None
    head_full_name: str | None = None
    book_number: str | None = None


class Citizen(_Canonical):
    """A citizen's record in the national population database."""

    id_number: str
    old_id_number: str | None = None
    name: PersonName
    sex: Sex | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    ethnicity_code: str | None = Field(None, description='"01" = Kinh')
    religion_code: str | None = Field(None, description='"00" = none')
    marital_status_code: str | None = None
    blood_type: str | None = None
    birth_registration_place: Address | None = None
    hometown: Address | None = None
    permanent_address: Address | None = None
    current_address: Address | None = None
    father: Relative | None = None
    mother: Relative | None = None
    spouse: Relative | None = None
    representative: Relative | None = None
    household: Household | None = None


class CitizenLookupResponse(_Answer):
    """The look-up's answer: found=False and no citizen when there is none (not an error)."""

    found: bool
    citizen: Citizen | None = None
