"""The population database adapter: canonical JSON on the bus ⇄ SOAP/XML of BCA's population database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from adapters.population.models import (
    CitizenLookupRequest,
    CitizenLookupResponse,
    VerifyCitizenRequest,
    VerifyCitizenResponse,
)
from adapters.population.wire import (
    LOOKUP_NAMESPACE,
    LOOKUP_OPERATION,
    PROVIDER,
    VERIFY_NAMESPACE,
    VERIFY_OPERATION,
    lookup_answer,
    lookup_fields,
    verify_answer,
    verify_fields,
)
from adapters.sdk import ProviderClient, ServiceSpec, ServiceTable, call_soap, describe_validation_error
from bus.envelope import Envelope
from bus.errors import BadRequest

VERIFY = ServiceSpec(
    "XacThucThongTinCongDan",
    "v1",
    VerifyCitizenRequest,
    VerifyCitizenResponse,
    summary="Verify that a citizen exists (id number, optionally old id and name)",
)
LOOKUP = ServiceSpec(
    "XacMinhThongTinNhanThan",
    "v1",
    CitizenLookupRequest,
    CitizenLookupResponse,
    summary="Look up a citizen's record by id number",
)


class PopulationConfig(BaseModel):
    """The adapter's section of the catalog."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("http://127.0.0.1:8101", pattern=r"^https?://")
    path: str = "/"
    timeout_cap: float = Field(10.0, gt=0, description="upper bound of one call, whatever the deadline")
    max_connections: int = Field(100, ge=1)


class PopulationAdapter:
    """Serves XacThucThongTinCongDan and XacMinhThongTinNhanThan over the database's SOAP interface."""

    services = ServiceTable([VERIFY, LOOKUP])

    def __init__(
        self, config: PopulationConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
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
        """Serve one request for either operation, chosen by the envelope's service code."""
        spec = self.services.spec_for(request.service)
        if spec is VERIFY:
            verify = VERIFY.parse_request(request.payload)
            fields = verify_fields(verify, _officer(verify.officer_code, request), _code(verify, request))
            content = await self._call(
                request, VERIFY_OPERATION, VERIFY_NAMESPACE, VERIFY.service_code, fields
            )
            return VERIFY.dump_response(verify_answer(content))
        lookup = LOOKUP.parse_request(request.payload)
        fields = lookup_fields(lookup, _officer(lookup.officer_code, request), _code(lookup, request))
        content = await self._call(request, LOOKUP_OPERATION, LOOKUP_NAMESPACE, LOOKUP.service_code, fields)
        return LOOKUP.dump_response(lookup_answer(content, lookup.id_number))

    async def _call(
        self, request: Envelope, operation: str, namespace: str, service_code: str, fields: dict[str, Any]
    ) -> Any:
        await self.start()
        assert self._client is not None
        return await call_soap(
            self._client,
            request,
            operation,
            namespace,
            fields,
            path=self.config.path,
            soap_action=f"{namespace}/{service_code}",  # as the WSDL declares it
        )


def _officer(officer_code: str | None, request: Envelope) -> str:
    officer = officer_code or request.user_id
    if not officer:
        raise BadRequest("field 'officer_code': required when the request carries no user id (MaCanBo)")
    return officer


def _code(canonical: VerifyCitizenRequest | CitizenLookupRequest, request: Envelope) -> str:
    # The transaction id makes a redelivered request carry the same MaYeuCau as the first attempt.
    return canonical.request_code or request.correlation_id


def create_adapter(config: Mapping[str, Any]) -> PopulationAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    try:
        return PopulationAdapter(PopulationConfig.model_validate(dict(config)))
    except ValidationError as exc:
        raise ValueError(f"population adapter config: {describe_validation_error(exc)}") from exc
