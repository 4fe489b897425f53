"""The provider adapter of an agency system: JSON dossiers in and out, refusals as `{maLoi, thongBao,
truong}` told to the caller in canonical field names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from adapters.sdk.agency_errors import agency_rejection
from adapters.sdk.provider_adapter import ConfigT, ProviderAdapter
from adapters.sdk.provider_errors import json_model
from bus.envelope import Envelope

WireT = TypeVar("WireT", bound=BaseModel)


class AgencyAdapter(ProviderAdapter[ConfigT]):
    """A `ProviderAdapter` whose calls answer the agency's wire model or raise its refusal.

    `fields` maps the agency's wire field names to the canonical ones, so that a refusal names the field
    the caller sent; the refusal names the service of the envelope being served.
    """

    async def agency_post(
        self, request: Envelope, url: str, body: Any, fields: Mapping[str, str], answer: type[WireT]
    ) -> WireT:
        """POST `body`; the answer as `answer`, a 4xx refusal raised as ProviderRejected."""
        response = await self.send(request, "POST", url, json=body)
        if response.status_code >= 400:
            raise agency_rejection(response, self.provider, self._service_key(request), fields)
        return json_model(response, answer, self.provider)

    async def agency_lookup(
        self, request: Envelope, url: str, fields: Mapping[str, str], answer: type[WireT]
    ) -> WireT | None:
        """GET one dossier as `answer`; None when the agency has none there (404), another 4xx refusal
        raised as ProviderRejected."""
        response = await self.send(request, "GET", url)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise agency_rejection(response, self.provider, self._service_key(request), fields)
        return json_model(response, answer, self.provider)

    def _service_key(self, request: Envelope) -> str:
        return self.services.spec_for(request.service).key
