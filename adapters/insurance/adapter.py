"""The social-insurance adapter: canonical JSON on the bus ⇄ Vietnam Social Security's REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.insurance.models import (
    ChildCardRequest,
    InsuranceDossier,
    InsuranceDossierLookup,
    InsuranceDossierQuery,
    SurvivorBenefitRequest,
)
from adapters.insurance.wire import (
    CARD_FIELDS,
    PROVIDER,
    SURVIVOR_FIELDS,
    WireDossier,
    card_body,
    survivor_body,
    to_dossier,
)
from adapters.sdk import (
    AgencyAdapter,
    Operation,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    dossier_code,
    parse_config,
)
from bus.envelope import Envelope

CHILD_CARD = ServiceSpec(
    "CapTheBHYTTreEm",
    "v1",
    ChildCardRequest,
    InsuranceDossier,
    summary="Issue a health-insurance card to a child under six (≤ 2 working days)",
)
SURVIVOR_BENEFIT = ServiceSpec(
    "GiaiQuyetTuTuat",
    "v1",
    SurvivorBenefitRequest,
    InsuranceDossier,
    summary="Settle the survivor benefit of a deceased insured person",
)
LOOKUP = ServiceSpec(
    "TraCuuHoSo",
    "v1",
    InsuranceDossierQuery,
    InsuranceDossierLookup,
    summary="A social-insurance dossier's status, appointment and result",
)


class InsuranceConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8108"


class InsuranceAdapter(AgencyAdapter[InsuranceConfig]):
    """Serves children's health-insurance cards, survivor benefits and the dossier look-up."""

    services = ServiceTable([CHILD_CARD, SURVIVOR_BENEFIT, LOOKUP])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {CHILD_CARD.key: self.child_card, SURVIVOR_BENEFIT.key: self.survivor, LOOKUP.key: self.lookup}

    async def child_card(self, request: Envelope, req: ChildCardRequest) -> InsuranceDossier:
        """Ask for the child's card; a redelivery is answered with the first dossier."""
        body = card_body(req, dossier_code(request, req.dossier_number))
        wire = await self.agency_post(request, "/api/v1/bhyt/the-tre-em", body, CARD_FIELDS, WireDossier)
        return to_dossier(wire)

    async def survivor(self, request: Envelope, req: SurvivorBenefitRequest) -> InsuranceDossier:
        """Claim the survivor benefit; a redelivery is answered with the first dossier."""
        body = survivor_body(req, dossier_code(request, req.dossier_number))
        wire = await self.agency_post(request, "/api/v1/chedo/tu-tuat", body, SURVIVOR_FIELDS, WireDossier)
        return to_dossier(wire)

    async def lookup(self, request: Envelope, query: InsuranceDossierQuery) -> InsuranceDossierLookup:
        """The dossier as of now; found=False when the fund has none by that number."""
        wire = await self.agency_lookup(
            request, f"/api/v1/hoso/{query.dossier_number}", {"maHoSo": "dossier_number"}, WireDossier
        )
        if wire is None:
            return InsuranceDossierLookup(found=False)
        return InsuranceDossierLookup(found=True, dossier=to_dossier(wire))


def create_adapter(config: Mapping[str, Any]) -> InsuranceAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return InsuranceAdapter(parse_config(InsuranceConfig, config, adapter="insurance"))
