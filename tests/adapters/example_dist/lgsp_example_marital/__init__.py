"""Marital status look-up at the civil registry: a complete LGSP adapter in one file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from adapters.conformance import ConformanceProfile, Sample
from adapters.sdk import ProviderClient, ServiceSpec, ServiceTable, json_body, raise_for_status
from bus.envelope import Envelope
from lgsp.mock_provider import mock_provider


class MaritalStatusRequest(BaseModel):
    """Whose marital status to look up."""

    id_number: str = Field(pattern=r"^\d{12}$", description="personal id number, 12 digits")


class MaritalStatusResponse(BaseModel):
    """The person's marital status; found=False when the registry does not know them."""

    found: bool
    full_name: str | None = None
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None


LOOKUP = ServiceSpec("TraCuuTinhTrangHonNhan", "v1", MaritalStatusRequest, MaritalStatusResponse)
STATUSES = {1: "single", 2: "married", 3: "divorced", 4: "widowed"}


class MaritalStatusAdapter:
    """Canonical request → GET /api/v1/hotich/congdan/{id} → canonical answer."""

    services = ServiceTable([LOOKUP])

    def __init__(self, base_url: str) -> None:
        self.client = ProviderClient(base_url, provider="civil registry", timeout_cap=10.0)

    async def start(self) -> None:
        """Nothing to open: the client pools connections lazily."""

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.close()

    async def handle(self, request: Envelope) -> JsonValue:
        """Look the person up; the SDK maps time-outs, 5xx, 429 and garbage to the error taxonomy."""
        asked = LOOKUP.parse_request(request.payload)
        url = f"/api/v1/hotich/congdan/{asked.id_number}"
        response = await self.client.request(request, "GET", url, check_status=False)
        if response.status_code == 404:
            return LOOKUP.dump_response({"found": False})
        raise_for_status(response, "civil registry")  # any other non-2xx: its taxonomy error
        person: Any = json_body(response, "civil registry")
        return LOOKUP.dump_response(
            {
                "found": True,
                "full_name": person["hoTen"],
                "marital_status": STATUSES[person["tinhTrangHonNhan"]],
            }
        )


def create_adapter(config: Mapping[str, Any]) -> MaritalStatusAdapter:
    """The factory the `lgsp.adapters` entry point names; `config` is the catalog's section."""
    return MaritalStatusAdapter(str(config.get("base_url", "http://127.0.0.1:8102")))


def conformance_profile() -> ConformanceProfile:
    """For `lgsp adapter check example-marital`: the civil mock, and one person to look up."""
    return ConformanceProfile(
        provider=mock_provider("civil"),
        samples=(
            Sample(
                service="VN/GOV/BTP/HOTICH/TraCuuTinhTrangHonNhan/v1",
                payload={"id_number": "030190745721"},  # Nguyễn Thị Hương in the default population
            ),
        ),
    )
