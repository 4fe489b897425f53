"""`GET /catalog/schemas/{service id}`: a service's canonical JSON schemas (X-Road's getOpenAPI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter

from bus.adapter import Adapter, DeclaresServices
from bus.catalog import Catalog
from bus.errors import UnknownService
from bus.identifiers import IdentifierError, ServiceId


def service_schema(catalog: Catalog, adapters_by_name: Mapping[str, Adapter], text: str) -> dict[str, Any]:
    """The JSON schemas of one catalog service, as its adapter declares them; UnknownService otherwise."""
    try:
        service_id = ServiceId.parse(text)
    except IdentifierError as exc:
        raise UnknownService(str(exc)) from exc
    service = catalog.service(service_id)
    if service is None:
        raise UnknownService(f"service {service_id} is not in the catalog")
    adapter = adapters_by_name.get(service.adapter)
    if not isinstance(adapter, DeclaresServices):
        raise UnknownService(f"the adapter {service.adapter!r} of {service_id} declares no schema")
    schema = adapter.services.spec_for(service_id).json_schema()
    return {"id": str(service_id), "name": service.name, "adapter": service.adapter, **schema}


def schemas_router(catalog: Catalog, adapters_by_name: Mapping[str, Adapter]) -> APIRouter:
    """Routes serving each service's canonical schemas; mount it on the gateway."""
    router = APIRouter(tags=["operations"])

    @router.get("/catalog/schemas/{service_id:path}")
    async def schema(service_id: str) -> dict[str, Any]:
        """The canonical request and response JSON schemas of a service."""
        return service_schema(catalog, adapters_by_name, service_id)

    return router
