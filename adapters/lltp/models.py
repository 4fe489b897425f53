"""Canonical models of the judicial-records services (lý lịch tư pháp): snake_case English, ISO dates.

A request may carry its `dossier_number` (the one-stop's maHoSoMCDT); without one the envelope's issue
is used, then its transaction id, so a redelivered request is filed once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.sdk import DossierCode

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Status = Literal["received", "searching", "verifying", "issued", "refused", "revoked"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_Canonical):
    """The person the certificate is about, as the declaration states them."""

    full_name: Text
    other_name: Text | None = None
    sex: Literal["male", "female"]
    birth_date: date
    birth_place: Text
    nationality: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "VN"
    ethnicity_code: Annotated[str, Field(pattern=r"^\d{2}$")] = "01"
    id_number: IdNumber
    id_issued_on: date
    id_issued_by: Text
    permanent_address: Text
    temporary_address: Text | None = None
    phone: Annotated[str, Field(pattern=r"^0\d{9,10}$")] | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)] | None = None
    father_name: Text | None = None
    mother_name: Text | None = None
    spouse_name: Text | None = None


class ResidencePeriod(_Canonical):
    """Where the applicant lived and worked, from age 14."""

    from_month: Month
    to_month: Month | None = None
    place: Text
    occupation: Text | None = None
    workplace: Text | None = None


class Proxy(_Canonical):
    """Who files for the applicant (certificate no. 1 only)."""

    full_name: Text
    id_number: IdNumber
    relationship: Text


class CertificateRequest(_Canonical):
    """Request a judicial-record certificate no. 1 or no. 2."""

    dossier_number: DossierCode | None = None
    source: Literal["vneid", "portal", "one_stop"] = "one_stop"
    certificate_type: Literal[1, 2]
    purpose: Text
    copies: int = Field(1, ge=1, le=10)
    applicant: Applicant
    residence_history: list[ResidencePeriod] = Field(min_length=1, max_length=30)
    proxy: Proxy | None = None
    appointment_date: date = Field(description="the appointment the one-stop gave the citizen")


class CertificateQuery(_Canonical):
    """Poll a request by its dossier number."""

    dossier_number: DossierCode


class RevocationRequest(_Canonical):
    """Revoke an issued certificate by a decision."""

    dossier_number: DossierCode
    decision_number: Text
    decision_date: date
    reason: Text
    signer: Text


class Conviction(_Canonical):
    """One conviction as the certificate states it."""

    judgment: str
    court: str
    offence: str
    sentence: str
    expunged: bool


class Certificate(_Canonical):
    """The certificate issued."""

    number: str
    issued_on: date
    certificate_type: int
    copies: int
    criminal_record: Literal["none", "convicted"]
    convictions: list[Conviction]
    issuer: str
    signer: str
    pdf_url: str
    pdf_sha256: str
    pdf_base64: str | None = None


class Revocation(_Canonical):
    """The revocation decision."""

    decision_number: str
    decision_date: date
    reason: str
    signer: str


class CertificateCase(_Canonical):
    """A request: its status, deadlines and, once decided, the certificate or the refusal."""

    dossier_number: str
    system_id: str
    source: Literal["vneid", "portal", "one_stop"]
    certificate_type: int
    status: Status
    status_code: int
    received_at: datetime
    appointment_date: date
    deadline: datetime = Field(description="the legal deadline: 10 working days, 15 with several places")
    certificate: Certificate | None = None
    refusal_reason: str | None = None
    revocation: Revocation | None = None


class CertificatePoll(_Canonical):
    """found=False (not an error) when the system has no such request."""

    found: bool
    case: CertificateCase | None = None
