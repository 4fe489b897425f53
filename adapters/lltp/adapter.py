"""The judicial-records adapter: canonical JSON on the bus ⇄ the LLTP system's REST API (request, poll,
revoke)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from adapters.lltp.models import (
    CertificateCase,
    CertificatePoll,
    CertificateQuery,
    CertificateRequest,
    RevocationRequest,
)
from adapters.lltp.wire import (
    PROVIDER,
    REQUEST_FIELDS,
    REVOCATION_FIELDS,
    WireCase,
    request_body,
    revocation_body,
    to_case,
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

API = "/api/lltp"
REQUEST = ServiceSpec(
    "DangKyCapPhieu",
    "v1",
    CertificateRequest,
    CertificateCase,
    summary="Request a judicial-record certificate no. 1 or 2 (10 working days, 15 with several places)",
)
POLL = ServiceSpec(
    "TraCuuKetQua",
    "v1",
    CertificateQuery,
    CertificatePoll,
    summary="Poll a certificate request: status, certificate (PDF) or refusal",
)
REVOKE = ServiceSpec(
    "ThuHoiPhieu",
    "v1",
    RevocationRequest,
    CertificateCase,
    summary="Revoke an issued certificate by a decision",
)


class LltpConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8110"
    province: str = Field("31", pattern=r"^\d{2}$", description="maTinh sent with every request")


class LltpAdapter(AgencyAdapter[LltpConfig]):
    """Serves certificate requests, result polls and revocations."""

    services = ServiceTable([REQUEST, POLL, REVOKE])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {REQUEST.key: self.request, POLL.key: self.poll, REVOKE.key: self.revoke}

    async def request(self, request: Envelope, req: CertificateRequest) -> CertificateCase:
        """File the request; a redelivery is answered with the first case."""
        body = request_body(req, dossier_code(request, req.dossier_number), self.config.province)
        wire = await self.agency_post(request, f"{API}/dangky", body, REQUEST_FIELDS, WireCase)
        return to_case(wire)

    async def poll(self, request: Envelope, query: CertificateQuery) -> CertificatePoll:
        """The request as of now, with the certificate's PDF once issued; found=False when unknown."""
        wire = await self.agency_lookup(
            request, f"{API}/ketqua/{query.dossier_number}", {"maHoSoMCDT": "dossier_number"}, WireCase
        )
        if wire is None:
            return CertificatePoll(found=False)
        return CertificatePoll(found=True, case=to_case(wire))

    async def revoke(self, request: Envelope, req: RevocationRequest) -> CertificateCase:
        """Revoke the certificate; the same decision again is answered as done."""
        url = f"{API}/thuhoi/{req.dossier_number}"
        wire = await self.agency_post(request, url, revocation_body(req), REVOCATION_FIELDS, WireCase)
        return to_case(wire)


def create_adapter(config: Mapping[str, Any]) -> LltpAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return LltpAdapter(parse_config(LltpConfig, config, adapter="lltp"))
