"""The population database adapter: canonical JSON on the bus ⇄ SOAP/XML of BCA's population database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.population.death_feed import (
    FEED_PATH,
    DeathFeedPage,
    DeathFeedQuery,
    WireFeedPage,
    feed_params,
    to_page,
)
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
from adapters.sdk import (
    Operation,
    ProviderAdapter,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    call_soap,
    json_model,
    parse_config,
    raise_for_status,
)
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

DEATH_FEED = ServiceSpec(
    "BienDongKhaiTu",
    "v1",
    DeathFeedQuery,
    DeathFeedPage,
    summary="Deaths the database recorded, in order after a position (the event agencies act on)",
)


class PopulationConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8101"
    path: str = "/"


class PopulationAdapter(ProviderAdapter[PopulationConfig]):
    """Serves XacThucThongTinCongDan and XacMinhThongTinNhanThan over the database's SOAP interface, and
    its feed of recorded deaths over REST."""

    services = ServiceTable([VERIFY, LOOKUP, DEATH_FEED])
    provider = PROVIDER

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {VERIFY.key: self.verify, LOOKUP.key: self.lookup, DEATH_FEED.key: self.deaths}

    async def verify(self, request: Envelope, verify: VerifyCitizenRequest) -> VerifyCitizenResponse:
        """Whether the citizen exists."""
        fields = verify_fields(verify, _officer(verify.officer_code, request), _code(verify, request))
        content = await self._call(request, VERIFY_OPERATION, VERIFY_NAMESPACE, VERIFY.service_code, fields)
        return verify_answer(content)

    async def lookup(self, request: Envelope, lookup: CitizenLookupRequest) -> CitizenLookupResponse:
        """The citizen's record, or found=False."""
        fields = lookup_fields(lookup, _officer(lookup.officer_code, request), _code(lookup, request))
        content = await self._call(request, LOOKUP_OPERATION, LOOKUP_NAMESPACE, LOOKUP.service_code, fields)
        return lookup_answer(content, lookup.id_number)

    async def deaths(self, request: Envelope, query: DeathFeedQuery) -> DeathFeedPage:
        """The deaths recorded after `query.after`, oldest first."""
        response = await self.send(request, "GET", FEED_PATH, params=feed_params(query))
        raise_for_status(response, self.provider)
        return to_page(json_model(response, WireFeedPage, self.provider))

    async def _call(
        self, request: Envelope, operation: str, namespace: str, service_code: str, fields: dict[str, Any]
    ) -> Any:
        return await call_soap(
            await self.client(),
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
    # The envelope's request code makes every attempt of one request carry the same MaYeuCau.
    return canonical.request_code or request.request_code


def create_adapter(config: Mapping[str, Any]) -> PopulationAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return PopulationAdapter(parse_config(PopulationConfig, config, adapter="population"))
