"""The social-protection adapter: canonical JSON on the bus ⇄ the labour and social affairs REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from adapters.social.models import (
    FuneralAllowanceDossier,
    FuneralAllowanceRequest,
    FuneralDossierLookup,
    FuneralDossierQuery,
)
from adapters.social.wire import FIELDS, PROVIDER, WireDossier, allowance_body, to_dossier
from bus.envelope import Envelope

FUNERAL_ALLOWANCE = ServiceSpec(
    "HoTroMaiTang",
    "v1",
    FuneralAllowanceRequest,
    FuneralAllowanceDossier,
    summary="Claim the funeral allowance of a deceased social-assistance beneficiary (≤ 3 working days)",
)
LOOKUP = ServiceSpec(
    "TraCuuHoSo",
    "v1",
    FuneralDossierQuery,
    FuneralDossierLookup,
    summary="A funeral-allowance dossier's status, appointment and decision",
)


class SocialConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8109"


class SocialAdapter(AgencyAdapter[SocialConfig]):
    """Serves the funeral allowance and its dossier look-up."""

    services = ServiceTable([FUNERAL_ALLOWANCE, LOOKUP])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {FUNERAL_ALLOWANCE.key: self.claim, LOOKUP.key: self.lookup}

    async def claim(self, request: Envelope, req: FuneralAllowanceRequest) -> FuneralAllowanceDossier:
        """Claim the allowance; a redelivery is answered with the first dossier."""
        body = allowance_body(req, dossier_code(request, req.dossier_number))
        wire = await self.agency_post(request, "/api/v1/trogiup/mai-tang", body, FIELDS, WireDossier)
        return to_dossier(wire)

    async def lookup(self, request: Envelope, query: FuneralDossierQuery) -> FuneralDossierLookup:
        """The dossier as of now; found=False when the system has none by that number."""
        wire = await self.agency_lookup(
            request, f"/api/v1/hoso/{query.dossier_number}", {"maHoSo": "dossier_number"}, WireDossier
        )
        if wire is None:
            return FuneralDossierLookup(found=False)
        return FuneralDossierLookup(found=True, dossier=to_dossier(wire))


def create_adapter(config: Mapping[str, Any]) -> SocialAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return SocialAdapter(parse_config(SocialConfig, config, adapter="social"))
