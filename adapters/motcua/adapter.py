"""The one-stop system adapter: the portal's DongBoHoSoMC dossiers ⇄ the province system's REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.motcua.models import DongBoHoSoRequest, DossierReceipt
from adapters.motcua.wire import (
    PROVIDER,
    WireError,
    WireReceipt,
    canonical_field,
    to_receipt,
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

DONG_BO_HO_SO = ServiceSpec(
    "DongBoHoSoMC",
    "v1",
    DongBoHoSoRequest,
    DossierReceipt,
    summary="Synchronise a portal dossier into the province's one-stop system",
)


class MotcuaConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8106"


class MotcuaAdapter(ProviderAdapter[MotcuaConfig]):
    """Serves DongBoHoSoMC: a synchronised dossier taken in once, however often it is delivered."""

    services = ServiceTable([DONG_BO_HO_SO])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {DONG_BO_HO_SO.key: self.synchronise}

    async def synchronise(self, request: Envelope, dossier: DongBoHoSoRequest) -> DossierReceipt:
        """Hand the dossier to the one-stop system; a repeat is answered with the first receipt."""
        response = await self.send(request, "POST", "/api/v1/hoso", json=to_wire(dossier))
        if response.status_code >= 400:
            raise _rejection(response)
        return to_receipt(json_model(response, WireReceipt, PROVIDER))


def _rejection(response: httpx.Response) -> ProviderRejected:
    """The system's 4xx as ProviderRejected, naming the canonical field at fault."""
    error = json_model(response, WireError, PROVIDER)
    field = canonical_field(error.truong)
    if error.maLoi == "TRUNG_MA_HO_SO":
        return ProviderRejected(
            f"{PROVIDER} refused DongBoHoSoMC: field 'MaHoSo': already synchronised with different content"
        )
    message = error.thongBao.removeprefix(f"{error.truong}: ") if error.truong else error.thongBao
    return ProviderRejected(f"{PROVIDER} refused DongBoHoSoMC ({error.maLoi}): field '{field}': {message}")


def create_adapter(config: Mapping[str, Any]) -> MotcuaAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return MotcuaAdapter(parse_config(MotcuaConfig, config, adapter="motcua"))
