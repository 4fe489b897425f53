"""The one-stop system adapter: the portal's DongBoHoSoMC dossiers ⇄ the province system's REST API; and,
for the LGSP's ordinary-dossier journey, a paid dossier handed to the officers (ChuyenXuLyHoSo) and their
decision read back (TraCuuXuLyHoSo)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from adapters.motcua.models import (
    DongBoHoSoRequest,
    DossierProgress,
    DossierReceipt,
    HandOverRequest,
    ProgressLookup,
)
from adapters.motcua.wire import (
    CANONICAL_FIELDS,
    HANDOVER_FIELDS,
    PROVIDER,
    WireError,
    WireReceipt,
    WireRecord,
    canonical_field,
    handover_to_wire,
    to_progress,
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

CHUYEN_XU_LY = ServiceSpec(
    "ChuyenXuLyHoSo",
    "v1",
    HandOverRequest,
    DossierReceipt,
    summary="Hand a dossier accepted and paid to the one-stop system's officers for their decision",
)
TRA_CUU_XU_LY = ServiceSpec(
    "TraCuuXuLyHoSo",
    "v1",
    ProgressLookup,
    DossierProgress,
    summary="A dossier's processing in the one-stop system: its latest status, note and officer",
)


class MotcuaConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8106"


class MotcuaAdapter(ProviderAdapter[MotcuaConfig]):
    """Serves DongBoHoSoMC (a synchronised dossier taken in once, however often it is delivered),
    ChuyenXuLyHoSo (likewise, handed over for decision) and TraCuuXuLyHoSo."""

    services = ServiceTable([DONG_BO_HO_SO, CHUYEN_XU_LY, TRA_CUU_XU_LY])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {
            DONG_BO_HO_SO.key: self.synchronise,
            CHUYEN_XU_LY.key: self.hand_over,
            TRA_CUU_XU_LY.key: self.progress,
        }

    async def synchronise(self, request: Envelope, dossier: DongBoHoSoRequest) -> DossierReceipt:
        """Hand the dossier to the one-stop system; a repeat is answered with the first receipt."""
        response = await self.send(request, "POST", "/api/v1/hoso", json=to_wire(dossier))
        if response.status_code >= 400:
            raise _rejection(response, DONG_BO_HO_SO.service_code, CANONICAL_FIELDS)
        return to_receipt(json_model(response, WireReceipt, PROVIDER))

    async def hand_over(self, request: Envelope, dossier: HandOverRequest) -> DossierReceipt:
        """Hand the dossier to the officers; a repeat is answered with the first receipt."""
        response = await self.send(request, "POST", "/api/v1/hoso", json=handover_to_wire(dossier))
        if response.status_code >= 400:
            raise _rejection(response, CHUYEN_XU_LY.service_code, HANDOVER_FIELDS)
        return to_receipt(json_model(response, WireReceipt, PROVIDER))

    async def progress(self, request: Envelope, lookup: ProgressLookup) -> DossierProgress:
        """The dossier's latest status; ProviderRejected when the system holds no such dossier."""
        response = await self.send(request, "GET", f"/api/v1/hoso/{quote(lookup.dossier_number, safe='')}")
        if response.status_code >= 400:
            raise _rejection(response, TRA_CUU_XU_LY.service_code, HANDOVER_FIELDS)
        return to_progress(json_model(response, WireRecord, PROVIDER))


def _rejection(response: httpx.Response, service: str, names: dict[str, str]) -> ProviderRejected:
    """The system's 4xx as ProviderRejected, naming the canonical field at fault."""
    error = json_model(response, WireError, PROVIDER)
    field = canonical_field(error.truong, names)
    if error.maLoi == "TRUNG_MA_HO_SO":
        field = names["maHoSo"]
        return ProviderRejected(
            f"{PROVIDER} refused {service}: field '{field}': already received with other content"
        )
    message = error.thongBao.removeprefix(f"{error.truong}: ") if error.truong else error.thongBao
    return ProviderRejected(f"{PROVIDER} refused {service} ({error.maLoi}): field '{field}': {message}")


def create_adapter(config: Mapping[str, Any]) -> MotcuaAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return MotcuaAdapter(parse_config(MotcuaConfig, config, adapter="motcua"))
