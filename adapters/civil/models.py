"""Canonical models of the civil registry's services: snake_case English on the bus side.

Dates are ISO `yyyy-mm-dd`. Every registration may carry its `dossier_number` (mã hồ sơ); without one
the envelope's `issue` is used, then its `request_code` (from the Idempotency-Key, else the transaction
id), so a retried, redelivered or replayed request registers nothing new.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[
    str, Field(pattern=r"^\d{12}$", description="personal id number (số định danh / CCCD), 12 digits")
]
DossierNumber = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$",
        description="the dossier number (mã hồ sơ) that makes registering twice harmless",
    ),
]
RecordId = Annotated[
    str, Field(pattern=r"^(KS|KT|KH|XN)\.\d{3}\.\d{8}$", description="record id, e.g. KS.031.00000001")
]
EthnicityCode = Annotated[str, Field(pattern=r"^\d{2}$", description='"01" = Kinh')]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2, e.g. VN")]
DocumentNumber = Annotated[str, Field(pattern=r"^[A-Z0-9]{6,12}$")]
Sex = Literal["male", "female", "undetermined"]
DocumentType = Literal["old_id_card", "citizen_id", "passport"]
RecordKind = Literal["birth", "death", "marriage", "marital_status_certificate"]
MaritalStatus = Literal["single", "married", "divorced", "widowed"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterEntry(_Canonical):
    """Where the event is written: the register book entry and who signed it."""

    number: Text = Field(description="entry number in the book (số)")
    book: Text = Field(description="book number (quyển số), e.g. 01/2025")
    page: Text = Field(description="page (trang số)")
    registration_date: date = Field(description="ngày đăng ký")
    registration_place: Text = Field(description="the registering authority (nơi đăng ký)")
    signer_name: Text = Field(description="người ký")
    signer_title: Text = Field(description="chức vụ người ký")
    officer_name: Text = Field(description="the civil-status officer (người thực hiện)")


class Relative(_Canonical):
    """A parent or spouse: identity as their papers state it."""

    full_name: Text
    birth_date: date
    ethnicity_code: EthnicityCode = "01"
    nationality: CountryCode = "VN"
    residence: Text = Field(description="nơi cư trú")
    id_document_type: DocumentType = "citizen_id"
    id_document_number: DocumentNumber


class Requester(_Canonical):
    """The person asking for the registration (người yêu cầu)."""

    full_name: Text
    relationship: Text = Field(description="relationship to the subject, e.g. Mẹ")
    id_document_type: DocumentType = "citizen_id"
    id_document_number: DocumentNumber


class Child(_Canonical):
    """The newborn (người được khai sinh)."""

    full_name: Text
    sex: Sex
    birth_date: date
    birth_place: Text
    hometown: Text = Field(description="quê quán")
    ethnicity_code: EthnicityCode = "01"
    nationality: CountryCode = "VN"
    born_abroad: bool = False


class _Registration(_Canonical):
    dossier_number: DossierNumber | None = None


class BirthRegistrationRequest(_Registration):
    """Register a birth (đăng ký khai sinh); the child gets a personal id number unless held pending."""

    register_entry: RegisterEntry
    registration_type: Literal["on_time", "re_registration", "late"] = "on_time"
    child: Child
    mother: Relative
    father: Relative | None = None
    requester: Requester


class Deceased(_Canonical):
    """The person whose death is registered (người chết)."""

    full_name: Text
    id_number: IdNumber
    death_date: date
    death_place: Text
    cause: Text


class DeathRegistrationRequest(_Registration):
    """Register a death (đăng ký khai tử) of a person known to the population database."""

    register_entry: RegisterEntry
    deceased: Deceased
    requester: Requester


class MarriageRegistrationRequest(_Registration):
    """Register a marriage (đăng ký kết hôn); both spouses identified by their personal id numbers."""

    register_entry: RegisterEntry
    husband: Relative
    wife: Relative


class MaritalStatusCertificateRequest(_Registration):
    """Certify a living person's marital status (xác nhận tình trạng hôn nhân)."""

    id_number: IdNumber
    full_name: Text
    purpose: Text = Field(description="what the certificate is for (mục đích sử dụng)")
    registration_date: date
    registration_place: Text
    signer_name: Text
    signer_title: Text
    requester: Requester


class CivilRecord(_Canonical):
    """A registered event as the registry keeps it."""

    record_id: RecordId
    kind: RecordKind
    dossier_number: str
    status: Literal["registered", "awaiting_id_number"]
    subject_name: str | None = Field(None, description="child, deceased, certificate holder or 'A & B'")
    registration_date: date | None = None
    registration_place: str | None = None
    child_id_number: str | None = Field(None, description="issued to the child by a birth registration")
    marital_status: MaritalStatus | None = None
    documents_requested: list[str] = Field(default_factory=list, description="what a pending record needs")
    persons_involved: list[str] = Field(default_factory=list, description="personal id numbers")


class RecordLookupRequest(_Canonical):
    """Look up one record by its id, or a person's civil status and records by id number: give one."""

    record_id: RecordId | None = None
    person_id: IdNumber | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RecordLookupRequest:
        if (self.record_id is None) == (self.person_id is None):
            raise ValueError("give exactly one of record_id and person_id")
        return self


class PersonCivilStatus(_Canonical):
    """A person's current civil status and every record naming them."""

    id_number: str
    full_name: str
    marital_status: MaritalStatus
    deceased: bool
    records: list[CivilRecord]


class RecordLookupResponse(_Canonical):
    """found=False (not an error) when the registry has no such record or person."""

    found: bool
    record: CivilRecord | None = None
    person: PersonCivilStatus | None = None
