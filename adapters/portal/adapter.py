"""The portal adapter: progress updates and dossier look-ups from the province ⇄ the National Public
Service Portal's REST API (CapNhatTienDoHoSoMC, TraCuuHoSo)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from adapters.portal.models import DossierLookup, DossierStatus, ProgressEntry, ProgressUpdate
from adapters.portal.wire import (
    CANONICAL_FIELDS,
    PROVIDER,
    WireCapNhatKetQua,
    WireError,
    WireHoSoTraCuu,
    parse_wire,
    to_entry,
    to_status,
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


class PortalConfig(BaseModel):
    """The adapter's section of the catalog."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("http://127.0.0.1:8105", pattern=r"^https?://")
    timeout_cap: float = Field(10.0, gt=0, description="upper bound of one call, whatever the deadline")
    max_connections: int = Field(100, ge=1)


class PortalAdapter:
    """Serves CapNhatTienDoHoSoMC and TraCuuHoSo."""

    services = ServiceTable([PROGRESS, LOOKUP])

    def __init__(self, config: PortalConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
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
        """Serve one request, the operation chosen by the envelope's service code."""
        spec = self.services.spec_for(request.service)
        if spec is LOOKUP:
            lookup = LOOKUP.parse_request(request.payload)
            params = {"MaHoSo": lookup.dossier_number}
            response = await self._send(request, "GET", "/api/TraCuuHoSo", params=params)
            if response.status_code == 404:
                return LOOKUP.dump_response(DossierStatus(found=False, dossier_number=lookup.dossier_number))
            if response.status_code >= 400:
                raise _rejection(LOOKUP.key, response)
            return LOOKUP.dump_response(to_status(parse_wire(WireHoSoTraCuu, json_body(response, PROVIDER))))
        update = PROGRESS.parse_request(request.payload)
        response = await self._send(request, "POST", "/api/CapNhatTienDoHoSoMC", json=to_wire(update))
        if response.status_code >= 400:
            raise _rejection(PROGRESS.key, response)
        answer = parse_wire(WireCapNhatKetQua, json_body(response, PROVIDER))
        return PROGRESS.dump_response(to_entry(answer.TienDo))

    async def _send(self, request: Envelope, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One call to the portal; its 4xx answers are returned (they name the field at fault)."""
        await self.start()
        assert self._client is not None
        response = await self._client.request(request, method, url, check_status=False, **kwargs)
        if response.status_code >= 500 or response.status_code == 429:
            raise_for_status(response, PROVIDER)
        return response


def _rejection(service: str, response: httpx.Response) -> ProviderRejected:
    """The portal's 4xx as ProviderRejected, naming the canonical field at fault."""
    error = parse_wire(WireError, json_body(response, PROVIDER))
    if not error.field:
        return ProviderRejected(f"{PROVIDER} refused {service} ({error.error_code}): {error.message}")
    field = CANONICAL_FIELDS.get(error.field, error.field)
    message = error.message.removeprefix(f"{error.field}: ")
    return ProviderRejected(f"{PROVIDER} refused {service} ({error.error_code}): field '{field}': {message}")


def create_adapter(config: Mapping[str, Any]) -> PortalAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    try:
        return PortalAdapter(PortalConfig.model_validate(dict(config)))
    except ValidationError as exc:
        raise ValueError(f"portal adapter config: {describe_validation_error(exc)}") from exc
