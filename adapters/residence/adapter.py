"""The residence-database adapter: canonical JSON on the bus ⇄ the police residence database's REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.residence.models import (
    NewbornResidenceRequest,
    ResidenceDossier,
    ResidenceDossierLookup,
    ResidenceDossierQuery,
    ResidenceRemovalRequest,
)
from adapters.residence.wire import (
    NEWBORN_FIELDS,
    PROVIDER,
    REMOVAL_FIELDS,
    WireDossier,
    newborn_body,
    removal_body,
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

API = "/api/v1/cutru"
REGISTER = ServiceSpec(
    "DangKyThuongTru",
    "v1",
    NewbornResidenceRequest,
    ResidenceDossier,
    summary="Register a newborn's permanent residence in a household (≤ 2 working days, 5 with verification)",
)
REMOVE = ServiceSpec(
    "XoaDangKyThuongTru",
    "v1",
    ResidenceRemovalRequest,
    ResidenceDossier,
    summary="Remove a deceased person's permanent residence (≤ 1 working day)",
)
LOOKUP = ServiceSpec(
    "TraCuuHoSoCuTru",
    "v1",
    ResidenceDossierQuery,
    ResidenceDossierLookup,
    summary="A residence dossier's status, appointment and outcome",
)


class ResidenceConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8107"


class ResidenceAdapter(AgencyAdapter[ResidenceConfig]):
    """Serves newborn residence registration, removal of the deceased and the dossier look-up."""

    services = ServiceTable([REGISTER, REMOVE, LOOKUP])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {REGISTER.key: self.register, REMOVE.key: self.remove, LOOKUP.key: self.lookup}

    async def register(self, request: Envelope, req: NewbornResidenceRequest) -> ResidenceDossier:
        """Register the newborn; a redelivery is answered with the first dossier."""
        body = newborn_body(req, dossier_code(request, req.dossier_number))
        wire = await self.agency_post(request, f"{API}/dangkythuongtru", body, NEWBORN_FIELDS, WireDossier)
        return to_dossier(wire)

    async def remove(self, request: Envelope, req: ResidenceRemovalRequest) -> ResidenceDossier:
        """Remove the deceased person's residence; a redelivery is answered with the first dossier."""
        body = removal_body(req, dossier_code(request, req.dossier_number))
        wire = await self.agency_post(request, f"{API}/xoadangkythuongtru", body, REMOVAL_FIELDS, WireDossier)
        return to_dossier(wire)

    async def lookup(self, request: Envelope, query: ResidenceDossierQuery) -> ResidenceDossierLookup:
        """The dossier as of now; found=False when the database has none by that number."""
        wire = await self.agency_lookup(
            request, f"{API}/hoso/{query.dossier_number}", {"maHoSo": "dossier_number"}, WireDossier
        )
        if wire is None:
            return ResidenceDossierLookup(found=False)
        return ResidenceDossierLookup(found=True, dossier=to_dossier(wire))


def create_adapter(config: Mapping[str, Any]) -> ResidenceAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return ResidenceAdapter(parse_config(ResidenceConfig, config, adapter="residence"))
