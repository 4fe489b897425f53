"""The inputs of the province's journeys, checked before a journey starts: a request the systems down the
line would refuse only after the fee was collected (a malformed declaration, certificate no. 2 asked by
a proxy, a postal return without an address) is refused at once with the typed `InvalidStart`, so
nothing is stored and nothing is called. Whether the citizen exists is the population database's to say:
the journeys ask it first, before any fee.

    check_inputs(kind, inputs)     # before Journeys.start(kind, inputs, ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from adapters.lltp.models import CertificateRequest
from adapters.vnpost.models import Party
from bus.flows.journeys import InvalidStart

Text = Annotated[str, Field(min_length=1, max_length=255)]
IdNumber = Annotated[str, Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")]


class IneligibleRequest(InvalidStart):
    """A well-formed request that the procedure does not allow."""


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class DossierInputs(_Delivered):
    """Inputs of `dossier`."""

    citizen: Citizen


INPUTS: Mapping[str, type[_Inputs]] = {"lltp": CertificateInputs, "dossier": DossierInputs}


def check_inputs(kind: str, inputs: object) -> None:
    """Refuse `inputs` of a journey `kind` that cannot be served (InvalidStart, IneligibleRequest);
    kinds without a check here pass."""
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
            raise IneligibleRequest(
                "journey 'lltp': request/proxy: certificate no. 2 is issued only at the person's own "
                "request (Law on Judicial Records, art. 46); a proxy may ask for no. 1"
            )
        if request.dossier_number is not None:
            raise InvalidStart(
                "journey 'lltp': request/dossier_number: leave it out, the journey's dossier code is used"
            )
