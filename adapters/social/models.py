"""Canonical models of the social-protection system's services: snake_case English, ISO dates and times."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.sdk import DossierCode

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DeceasedBeneficiary(_Canonical):
    """The deceased, who received a monthly social allowance."""

    id_number: IdNumber
    full_name: Text
    death_date: date


class FuneralOrganiser(_Canonical):
    """Who arranged the funeral and receives the allowance."""

    full_name: Text
    id_number: IdNumber
    relationship: Text
    address: Text


class FuneralAllowanceRequest(_Canonical):
    """Claim the funeral allowance (hỗ trợ chi phí mai táng); the dossier number makes a repeat harmless."""

    dossier_number: DossierCode | None = None
    deceased: DeceasedBeneficiary
    organiser: FuneralOrganiser
    payment: Literal["cash", "bank"] = "cash"


class FuneralDossierQuery(_Canonical):
    """Look up a funeral-allowance dossier by its dossier number."""

    dossier_number: DossierCode


class AllowanceDecision(_Canonical):
    """The commune chairman's decision."""

    decision_number: str
    decision_date: date
    beneficiary_group: str
    beneficiary_group_name: str
    amount_vnd: int
    recipient: str


class FuneralAllowanceDossier(_Canonical):
    """A dossier: its status, appointment and, once made, the decision."""

    dossier_number: str
    system_id: str
    status: Literal["received", "in_progress", "decided"]
    status_code: int
    received_at: datetime
    due_at: datetime = Field(description="the appointment (ngày hẹn trả)")
    finished_at: datetime | None = None
    decision: AllowanceDecision | None = None


class FuneralDossierLookup(_Canonical):
    """found=False (not an error) when the system has no such dossier."""

    found: bool
    dossier: FuneralAllowanceDossier | None = None
