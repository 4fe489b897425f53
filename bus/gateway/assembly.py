"""The gateway as deployed, built from settings: routing with idempotency, quotas and async calls;
the transaction log and operational monitoring; provider callbacks turned into bus events; schemas."""

from __future__ import annotations

from fastapi import FastAPI

from bus.adapter_registry import build_adapters
from bus.admin import AdminCredential, admin_router
from bus.auth.oauth import token_router
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog
from bus.events import TransportEventPublisher
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import CallbackConfig, callbacks_router
from bus.gateway.limits import HeaderLimitMiddleware, InputLimits
from bus.gateway.operations import operations_router
from bus.gateway.ratelimit import make_rate_limiter
from bus.gateway.settings import GatewaySettings
from bus.monitoring import InFlightMiddleware, make_monitoring_sink, monitoring_router
from bus.settings import BusSettings
from bus.store import make_store
from bus.transport.base import Transport
from bus.txlog import TransactionLogSink, TxLogSettings, make_transaction_log


def assemble_gateway(
    catalog: Catalog,
    transport: Transport,
    settings: BusSettings,
    *,
    manage_transport: bool = True,
    gateway_settings: GatewaySettings | None = None,
) -> FastAPI:
    """The full gateway; state is shared through Redis when `settings` name it, else held in this
    process (the embedded stack's memory store, shared with its adapters)."""
    store = make_store(settings.store_url)
    monitoring = make_monitoring_sink(settings.redis_url, catalog=catalog)
    txlog_settings = TxLogSettings(redis_url=settings.redis_url)
    txlog = TransactionLogSink(make_transaction_log(txlog_settings), spool_path=txlog_settings.spool_path)
    # Built only to describe their services' schemas; the workers run their own started copies.
    adapters = build_adapters(
        catalog,
        {s.adapter for s in catalog.services},
        bus_values=settings.bus_values,
        overrides=settings.adapter_overrides,
    )
    auth = AuthSettings()
    access = AccessControl.build(catalog, store, auth)
    app = create_gateway(
        catalog,
        transport,
        sinks=[txlog, monitoring],
        resources=[store, txlog, monitoring],
        store=store,
        rate_limiter=make_rate_limiter(settings.redis_url),
        gateway_settings=GatewaySettings() if gateway_settings is None else gateway_settings,
        adapters=adapters,
        access=access,
        max_body_bytes=settings.max_body_bytes,
        manage_transport=manage_transport,
    )
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    app.include_router(admin_router(access, AdminCredential(auth.admin_key_sha256)))
    app.include_router(monitoring_router(monitoring))
    app.include_router(operations_router(catalog, store))
    app.include_router(callbacks_router(TransportEventPublisher(transport), CallbackConfig(), store))
    app.add_middleware(HeaderLimitMiddleware, limits=InputLimits())
    # Outermost, so requests refused early are counted as in flight too.
    app.add_middleware(InFlightMiddleware, metrics=monitoring.metrics)
    return app
