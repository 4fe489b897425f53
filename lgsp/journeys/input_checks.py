"""The inputs of the province's journeys, checked before a journey starts (the `InputCheck` that
`lgsp`'s runtime hands to `Journeys`): a request the systems down the line would refuse only after
status pushes or a fee (a malformed declaration or personal ID number, certificate no. 2 asked by a
proxy, a postal return without an address, a child's health-insurance card past six) is refused at once
with the typed `InvalidStart` / `IneligibleStart`, so nothing is stored and nothing is called.

Whether a well-formed ID number belongs to somebody is the population database's to say, not the bus's
(it holds no copy of it): every journey asks it first (XacThucThongTinCongDan on the citizen, the
applicant, the mother, the deceased), before any other step, and is refused with no effect anywhere when
it does not know the person. `lgsp journey start birth|death` builds its inputs from the population and
refuses an unknown person before sending.

    check_inputs(kind, inputs, received_at)     # inside Journeys.start, before anything is stored
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from adapters.lltp.models import CertificateRequest
from adapters.vnpost.models import Party
from bus.flows import VIETNAM_TZ
from bus.flows.journeys import IneligibleStart, InvalidStart
from vn_calendar import anniversary

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]
CHILD_CARD_AGE = 6  # the free health-insurance card is for children under six


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Parts(BaseModel):
    """The parts of an interconnected procedure's inputs checked here; the adapters check the rest."""

    model_config = ConfigDict(extra="ignore")


class Fee(_Inputs):
    """The fee collected through the payment platform."""

    code: Text
    name: Text
    amount_vnd: Annotated[int, Field(gt=0, le=10_000_000_000)]
    procedure_code: Text
    service_code: Text
    agency_code: Text


class Parcel(_Inputs):
    """Who VNPost carries the result from and to."""

    sender: Party
    receiver: Party


class _Delivered(_Inputs):
    received_at: AwareDatetime
    fee: Fee
    delivery: Literal["post", "counter"]
    parcel: Parcel | None = None

    @model_validator(mode="after")
    def _address_for_post(self) -> Self:
        if self.delivery == "post" and self.parcel is None:
            raise ValueError("delivery 'post' needs parcel {sender, receiver}")
        return self


class CertificateInputs(_Delivered):
    """Inputs of `lltp`: the declaration as the judicial-records adapter takes it."""

    request: CertificateRequest
    several_places: bool


class Citizen(_Inputs):
    """Whom the dossier is for."""

    id_number: IdNumber
    full_name: Text


class DossierProcedure(_Inputs):
    """The administrative procedure of an ordinary dossier."""

    code: Text
    name: Text
    field_code: Text
    field_name: Text
    service_code: Text


class DossierInputs(_Delivered):
    """Inputs of `dossier`."""

    citizen: Citizen
    procedure: DossierProcedure


class Person(_Parts):
    """Somebody named by personal ID number."""

    id_number: IdNumber


class Papers(_Parts):
    """Somebody named by the ID number on their papers (a mother, a requester)."""

    id_document_number: IdNumber


class Child(_Parts):
    """The newborn."""

    birth_date: date


class Household(_Parts):
    """The household the child joins."""

    head: Person


class BirthInputs(_Parts):
    """Inputs of `birth` (interconnected birth, residence, health-insurance card)."""

    legs: list[Literal["residence", "insurance"]] = Field(min_length=1)
    child: Child
    mother: Papers
    requester: Papers
    household: Household
    guardian: Person


class DeathInputs(_Parts):
    """Inputs of `death` (interconnected death, residence removal, funeral allowance, survivor benefit)."""

    legs: list[Literal["residence", "funeral", "survivor"]] = Field(min_length=1)
    deceased: Person
    requester: Papers
    relative: Person


INPUTS: Mapping[str, type[BaseModel]] = {
    "lltp": CertificateInputs,
    "dossier": DossierInputs,
    "birth": BirthInputs,
    "death": DeathInputs,
}


def birth_refusal(born: date, today: date, legs: list[str]) -> str | None:
    """Why a birth declared on `today` for a child born on `born` cannot be served, or None."""
    if born > today:
        return f"the child's birth date {born} is after the day the dossier was received ({today})"
    if "insurance" in legs and anniversary(born, CHILD_CARD_AGE) <= today:
        return f"a child born on {born} is six or over on {today}: no child's health-insurance card"
    return None


def check_inputs(kind: str, inputs: JsonValue, received_at: datetime) -> None:
    """Refuse `inputs` of a journey `kind` received at `received_at` that cannot be served
    (InvalidStart, IneligibleStart); kinds without a check here pass."""
    model = INPUTS.get(kind)
    if model is None:
        return
    try:
        checked = model.model_validate(inputs)
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'/'.join(str(part) for part in error['loc']) or 'inputs'}: {error['msg']}"
            for error in invalid.errors(include_url=False)
        )
        raise InvalidStart(f"journey {kind!r}: {problems}") from None
    if isinstance(checked, CertificateInputs):
        request = checked.request
        if request.certificate_type == 2 and request.proxy is not None:
            raise IneligibleStart(
                "journey 'lltp': request/proxy: certificate no. 2 is issued only at the person's own "
                "request (Law on Judicial Records, art. 46); a proxy may ask for no. 1"
            )
        if request.dossier_number is not None:
            raise InvalidStart(
                "journey 'lltp': request/dossier_number: leave it out, the journey's dossier code is used"
            )
    if isinstance(checked, BirthInputs):
        today = received_at.astimezone(VIETNAM_TZ).date()
        refusal = birth_refusal(checked.child.birth_date, today, list(checked.legs))
        if refusal is not None:
            raise IneligibleStart(f"journey 'birth': child/birth_date: {refusal}")
