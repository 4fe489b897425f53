"""Canonical models of social insurance's services (BHXH/VSS): snake_case English, ISO dates and times.

Every request may carry its `dossier_number`; without one the envelope's issue is used, then its
transaction id, so a redelivered request issues no second card and settles no benefit twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.sdk import DossierCode

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]
InsuranceNumber = Annotated[str, Field(pattern=r"^\d{10}$", description="mã số BHXH, 10 digits")]
Status = Literal["received", "in_progress", "done"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Relative(_Canonical):
    """A parent, guardian or survivor."""

    full_name: Text
    id_number: IdNumber
    relationship: Text = Field(description="e.g. Mẹ, Vợ, Con")


class InsuredChild(_Canonical):
    """The child to insure."""

    id_number: IdNumber
    full_name: Text
    birth_date: date
    sex: Literal["male", "female"]


class ChildCardRequest(_Canonical):
    """Issue a health-insurance card to a child under six (thẻ BHYT trẻ em)."""

    dossier_number: DossierCode | None = None
    child: InsuredChild
    guardian: Relative
    clinic_code: Annotated[str, Field(pattern=r"^\d{5}$")] | None = Field(
        None, description="initial clinic (nơi đăng ký KCB ban đầu); chosen by the fund if left out"
    )
    address: Text | None = None


class DeceasedInsured(_Canonical):
    """The deceased insured person."""

    id_number: IdNumber
    full_name: Text
    social_insurance_number: InsuranceNumber | None = None
    death_date: date


class SurvivorBenefitRequest(_Canonical):
    """Settle the survivor benefit (chế độ tử tuất) of a deceased insured person."""

    dossier_number: DossierCode | None = None
    deceased: DeceasedInsured
    recipient: Relative
    payment: Literal["cash", "bank"] = "cash"
    bank_account: Annotated[str, Field(pattern=r"^\d{6,20}$")] | None = None
    bank_name: Text | None = None


class InsuranceDossierQuery(_Canonical):
    """Look up a social-insurance dossier by its dossier number."""

    dossier_number: DossierCode


class HealthInsuranceCard(_Canonical):
    """A card as issued."""

    card_number: str = Field(description="TE1 + province + the 10-digit social-insurance number")
    social_insurance_number: str
    full_name: str
    birth_date: date
    benefit_level: int
    clinic_code: str
    clinic_name: str
    valid_from: date
    valid_to: date = Field(description="the day before the sixth birthday")


class SurvivorBenefit(_Canonical):
    """The benefit granted."""

    social_insurance_number: str
    contribution_years: int
    kind: Literal["monthly", "lump_sum"]
    monthly_amount_vnd: int | None = None
    lump_sum_vnd: int | None = None
    first_month: str = Field(description="YYYY-MM")
    recipient: str


class InsuranceDossier(_Canonical):
    """A dossier: its status, appointment and, once done, its card or benefit."""

    dossier_number: str
    system_id: str
    kind: Literal["child_health_card", "survivor_benefit"]
    status: Status
    status_code: int
    received_at: datetime
    due_at: datetime = Field(description="the appointment (ngày hẹn trả)")
    finished_at: datetime | None = None
    card: HealthInsuranceCard | None = None
    survivor_benefit: SurvivorBenefit | None = None


class InsuranceDossierLookup(_Canonical):
    """found=False (not an error) when the fund has no such dossier."""

    found: bool
    dossier: InsuranceDossier | None = None
