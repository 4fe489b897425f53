"""The gateway as deployed: the routing app plus operational monitoring, built from settings."""

from __future__ import annotations

from fastapi import FastAPI

from bus.catalog import Catalog
from bus.gateway.app import create_gateway
from bus.monitoring import InFlightMiddleware, make_monitoring_sink, monitoring_router
from bus.settings import BusSettings
from bus.transport.base import Transport
from bus.txlog import TransactionLogSink, TxLogSettings, make_transaction_log


def assemble_gateway(
    catalog: Catalog, transport: Transport, settings: BusSettings, *, manage_transport: bool = True
) -> FastAPI:
    """The full gateway: `/r1` routing with the transaction log, `/metrics`, `/monitoring/*`;
    state shared through Redis when `settings` name it, else held in this process."""
    monitoring = make_monitoring_sink(settings.redis_url, catalog=catalog)
    txlog = TransactionLogSink(make_transaction_log(TxLogSettings(redis_url=settings.redis_url)))
    app = create_gateway(
        catalog,
        transport,
        sinks=[txlog, monitoring],
        resources=[txlog, monitoring],
        max_body_bytes=settings.max_body_bytes,
        manage_transport=manage_transport,
    )
    app.include_router(monitoring_router(monitoring))
    # Outermost, so requests refused early are counted as in flight too.
    app.add_middleware(InFlightMiddleware, metrics=monitoring.metrics)
    return app
