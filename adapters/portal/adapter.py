"""The portal adapter: progress updates and dossier look-ups from the province ⇄ the National Public
Service Portal's REST API (CapNhatTienDoHoSoMC, TraCuuHoSo)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.portal.interconnected import (
    CANONICAL_FIELDS as INTERCONNECTED_FIELDS,
)
from adapters.portal.interconnected import (
    InterconnectedStatusEntry,
    InterconnectedStatusUpdate,
    WireDongBoKetQua,
    already_recorded,
    is_already_recorded,
    recorded,
    status_body,
)
from adapters.portal.models import DossierLookup, DossierStatus, ProgressEntry, ProgressUpdate
from adapters.portal.wire import (
    CANONICAL_FIELDS,
    PROVIDER,
    WireCapNhatKetQua,
    WireError,
    WireHoSoTraCuu,
    to_entry,
    to_status,
    to_wire,
)
from adapters.sdk import (
    Operation,
    ProviderAdapter,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    json_model,
    parse_config,
)
from bus.envelope import Envelope
from bus.errors import ProviderRejected

PROGRESS = ServiceSpec(
    "CapNhatTienDoHoSoMC",
    "v1",
    ProgressUpdate,
    ProgressEntry,
    summary="Report a dossier's status change to the National Public Service Portal",
)
LOOKUP = ServiceSpec(
    "TraCuuHoSo",
    "v1",
    DossierLookup,
    DossierStatus,
    summary="A dossier's state and history as the National Public Service Portal holds them",
)

INTERCONNECTED = ServiceSpec(
    "DongBoTrangThaiLienThong",
    "v1",
    InterconnectedStatusUpdate,
    InterconnectedStatusEntry,
    summary="Mirror a status of an interconnected-service dossier (birth, death bundles) to the portal",
)


class PortalConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8105"


class PortalAdapter(ProviderAdapter[PortalConfig]):
    """Serves CapNhatTienDoHoSoMC, TraCuuHoSo and DongBoTrangThaiLienThong."""

    services = ServiceTable([PROGRESS, LOOKUP, INTERCONNECTED])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {
            PROGRESS.key: self.report_progress,
            LOOKUP.key: self.lookup,
            INTERCONNECTED.key: self.mirror_interconnected,
        }

    async def lookup(self, request: Envelope, lookup: DossierLookup) -> DossierStatus:
        """The dossier's state and history at the portal, or found=False."""
        params = {"MaHoSo": lookup.dossier_number}
        response = await self.send(request, "GET", "/api/TraCuuHoSo", params=params)
        if response.status_code == 404:
            return DossierStatus(found=False, dossier_number=lookup.dossier_number)
        if response.status_code >= 400:
            raise _rejection(LOOKUP.key, response)
        return to_status(json_model(response, WireHoSoTraCuu, PROVIDER))

    async def report_progress(self, request: Envelope, update: ProgressUpdate) -> ProgressEntry:
        """Report the status change; the portal's entry for it as the answer."""
        response = await self.send(request, "POST", "/api/CapNhatTienDoHoSoMC", json=to_wire(update))
        if response.status_code >= 400:
            raise _rejection(PROGRESS.key, response)
        answer = json_model(response, WireCapNhatKetQua, PROVIDER)
        return to_entry(answer.TienDo)

    async def mirror_interconnected(
        self, request: Envelope, update: InterconnectedStatusUpdate
    ) -> InterconnectedStatusEntry:
        """Push the status; the portal's "already exists" for a repeat is answered as done."""
        url = "/api/lienthong/DongBoTrangThai"
        response = await self.send(request, "POST", url, json=status_body(update))
        if response.status_code >= 400:
            error = json_model(response, WireError, PROVIDER)
            if is_already_recorded(response.status_code, error):
                return already_recorded(update)
            raise _rejection(INTERCONNECTED.key, response, INTERCONNECTED_FIELDS)
        return recorded(json_model(response, WireDongBoKetQua, PROVIDER))


def _rejection(
    service: str, response: httpx.Response, fields: Mapping[str, str] = CANONICAL_FIELDS
) -> ProviderRejected:
    """The portal's 4xx as ProviderRejected, naming the canonical field at fault."""
    error = json_model(response, WireError, PROVIDER)
    if not error.field:
        return ProviderRejected(f"{PROVIDER} refused {service} ({error.error_code}): {error.message}")
    field = fields.get(error.field, error.field)
    message = error.message.removeprefix(f"{error.field}: ")
    return ProviderRejected(f"{PROVIDER} refused {service} ({error.error_code}): field '{field}': {message}")


def create_adapter(config: Mapping[str, Any]) -> PortalAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return PortalAdapter(parse_config(PortalConfig, config, adapter="portal"))
