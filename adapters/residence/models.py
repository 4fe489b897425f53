"""Canonical models of the residence database's services: snake_case English, ISO dates and times.

Every request may carry its `dossier_number`; without one the envelope's issue is used, then its
transaction id, so a redelivered request registers or removes nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters.sdk import DossierCode

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]
BookNumber = Annotated[str, Field(pattern=r"^\d{9}$", description="household book number (số sổ hộ khẩu)")]
Sex = Literal["male", "female"]
Status = Literal["received", "verifying", "processing", "done"]


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Person(_Canonical):
    """A person named by id number and full name."""

    id_number: IdNumber
    full_name: Text


class Child(Person):
    """The newborn, by the number the population database issued at birth registration."""

    birth_date: date
    sex: Sex


class Declarant(Person):
    """Who files the declaration."""

    relationship: Text = Field(description="to the person registered, e.g. Mẹ")


class NewbornResidenceRequest(_Canonical):
    """Register a newborn's permanent residence in a household (đăng ký thường trú)."""

    dossier_number: DossierCode | None = None
    child: Child
    household_head: Person
    household_book_number: BookNumber
    relation_to_head: Literal["child", "grandchild"] = "child"
    declarant: Declarant
    channel: Literal["in_person", "online", "post"] = "online"


class DeathExtract(_Canonical):
    """The death extract the removal rests on."""

    number: Text
    issued_on: date
    issuer: Text


class ResidenceRemovalRequest(_Canonical):
    """Remove a deceased person's permanent residence (xóa đăng ký thường trú)."""

    dossier_number: DossierCode | None = None
    person: Person
    death_date: date
    death_extract: DeathExtract | None = Field(
        None, description="required for a declaration; an event rests on the population database's record"
    )
    source: Literal["declaration", "population_event"] = Field(
        "declaration", description="filed by a relative, or driven by the population database's death record"
    )
    declarant: Declarant | None = None

    @model_validator(mode="after")
    def _extract_for_a_declaration(self) -> Self:
        if self.source == "declaration" and self.death_extract is None:
            raise ValueError("death_extract: a declaration rests on the death extract")
        return self


class ResidenceDossierQuery(_Canonical):
    """Look up a residence dossier by its dossier number."""

    dossier_number: DossierCode


class ResidenceOutcome(_Canonical):
    """What the database recorded once the dossier was done."""

    effective_date: date
    id_number: str
    full_name: str
    residence_status: Literal["permanent", "removed"]
    address: str
    household_book_number: str
    household_head: str
    relation_to_head: str | None = None


class ResidenceDossier(_Canonical):
    """A residence dossier: its status, appointment and, once done, its outcome."""

    dossier_number: str
    system_id: str
    procedure: Literal["register_newborn", "remove_deceased"]
    status: Status
    status_code: int
    needs_verification: bool
    received_at: datetime
    due_at: datetime = Field(description="the appointment (ngày hẹn trả)")
    finished_at: datetime | None = None
    outcome: ResidenceOutcome | None = None


class ResidenceDossierLookup(_Canonical):
    """found=False (not an error) when the database has no such dossier."""

    found: bool
    dossier: ResidenceDossier | None = None
