"""The gateway as deployed: the routing app plus operational monitoring, built from settings."""

from __future__ import annotations

from fastapi import FastAPI

from bus.catalog import Catalog
from bus.gateway.app import create_gateway
from bus.monitoring import InFlightMiddleware, make_monitoring_sink, monitoring_router
from bus.settings import BusSettings
from bus.transport.base import Transport


def assemble_gateway(
    catalog: Catalog, transport: Transport, settings: BusSettings, *, manage_transport: bool = True
) -> FastAPI:
    """The full gateway: `/r1` routing, `/metrics`, `/monitoring/*`, shared state per `settings`."""
    monitoring = make_monitoring_sink(settings.redis_url, catalog=catalog)
    app = create_gateway(
        catalog,
        transport,
        sinks=[monitoring],
        resources=[monitoring],
        max_body_bytes=settings.max_body_bytes,
        manage_transport=manage_transport,
    )
    app.include_router(monitoring_router(monitoring))
    # Outermost, so requests refused early are counted as in flight too.
    app.add_middleware(InFlightMiddleware, metrics=monitoring.metrics)
    return app
