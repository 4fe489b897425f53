"""The one-stop system adapter: the portal's DongBoHoSoMC dossiers ⇄ the province system's REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from adapters.motcua.models import DongBoHoSoRequest, DossierReceipt
from adapters.motcua.wire import (
    PROVIDER,
    WireError,
    WireReceipt,
    canonical_field,
    parse_wire,
    to_receipt,
    to_wire,
)
from adapters.sdk import (
    ProviderClient,
    ServiceSpec,
    ServiceTable,
    describe_validation_error,
    json_body,
    raise_for_status,
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


class MotcuaConfig(BaseModel):
    """The adapter's section of the catalog."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("http://127.0.0.1:8106", pattern=r"^https?://")
    timeout_cap: float = Field(10.0, gt=0, description="upper bound of one call, whatever the deadline")
    max_connections: int = Field(100, ge=1)


class MotcuaAdapter:
    """Serves DongBoHoSoMC: a synchronised dossier taken in once, however often it is delivered."""

    services = ServiceTable([DONG_BO_HO_SO])

    def __init__(self, config: MotcuaConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # e.g. httpx.ASGITransport to call the mock in-process
        self._client: ProviderClient | None = None

    async def start(self) -> None:
        """Open the connection pool (called once by the worker; `handle` opens it if not)."""
        if self._client is None:
            self._client = ProviderClient(
                self.config.base_url,
                provider=PROVIDER,
                timeout_cap=self.config.timeout_cap,
                max_connections=self.config.max_connections,
                transport=self._transport,
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def handle(self, request: Envelope) -> JsonValue:
        """Hand the dossier to the one-stop system; a repeat is answered with the first receipt."""
        spec = self.services.spec_for(request.service)
        dossier = spec.parse_request(request.payload)
        await self.start()
        assert self._client is not None
        response = await self._client.request(
            request, "POST", "/api/v1/hoso", json=to_wire(dossier), check_status=False
        )
        if response.status_code >= 500 or response.status_code == 429:
            raise_for_status(response, PROVIDER)
        if response.status_code >= 400:
            raise _rejection(response)
        return spec.dump_response(to_receipt(parse_wire(WireReceipt, json_body(response, PROVIDER))))


def _rejection(response: httpx.Response) -> ProviderRejected:
    """The system's 4xx as ProviderRejected, naming the canonical field at fault."""
    error = parse_wire(WireError, json_body(response, PROVIDER))
    field = canonical_field(error.truong)
    if error.maLoi == "TRUNG_MA_HO_SO":
        return ProviderRejected(
            f"{PROVIDER} refused DongBoHoSoMC: field 'MaHoSo': already synchronised with different content"
        )
    message = error.thongBao.removeprefix(f"{error.truong}: ") if error.truong else error.thongBao
    return ProviderRejected(f"{PROVIDER} refused DongBoHoSoMC ({error.maLoi}): field '{field}': {message}")


def create_adapter(config: Mapping[str, Any]) -> MotcuaAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    try:
        return MotcuaAdapter(MotcuaConfig.model_validate(dict(config)))
    except ValidationError as exc:
        raise ValueError(f"motcua adapter config: {describe_validation_error(exc)}") from exc
