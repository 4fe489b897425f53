"""The gateway as deployed, built from settings: routing with idempotency, quotas and async calls;
the transaction log and operational monitoring; provider callbacks turned into bus events; schemas."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from bus.adapter_registry import build_adapters
from bus.admin import AdminCredential, admin_router
from bus.auth.oauth import token_router
from bus.auth.settings import AuthSettings
from bus.auth.tracked_reads import tracked_auth_reads
from bus.catalog import Catalog, hash_api_key
from bus.dashboard.offline_docs import serve_offline_docs
from bus.events import TransportEventPublisher
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import callbacks_router
from bus.gateway.operations import operations_router
from bus.gateway.ratelimit import make_rate_limiter
from bus.gateway.record_sink import record_sinks
from bus.gateway.settings import GatewaySettings
from bus.http_intake import HttpIntakeSettings
from bus.inbound import InboundContext, InboundSettings
from bus.monitoring import InFlightMiddleware, make_monitoring_sink, monitoring_router
from bus.monitoring.access import MonitoringCredential
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
    monitoring_token: str | None = None,
    admin_key: str | None = None,
) -> FastAPI:
    """The full gateway; state is shared through Redis when `settings` name it, else held in this
    process (the embedded stack's memory store, shared with its adapters). Monitoring opens to the
    configured monitoring tokens and admin keys, and to `monitoring_token` (the embedded stack's); the admin
    API to the configured admin keys and `admin_key` (the embedded stack's own)."""
    store = make_store(settings.store_url)
    monitoring = make_monitoring_sink(settings.redis_url, catalog=catalog)
    txlog_settings = TxLogSettings(redis_url=settings.redis_url)
    txlog = TransactionLogSink(make_transaction_log(txlog_settings), spool_path=txlog_settings.spool_path)
    # Built, never started, to describe their services' schemas and mount their callback routes; the
    # workers run their own started copies.
    adapters = build_adapters(
        catalog,
        {s.adapter for s in catalog.services},
        bus_values=settings.bus_values,
        overrides=settings.adapter_overrides,
    )
    auth = AuthSettings()
    # On Redis, the keys and rights read on every call are kept here while Redis tracks them; as a
    # resource, this wrapper opens and closes the store too.
    auth_store = tracked_auth_reads(store, settings.store_url)
    access = AccessControl.build(catalog, auth_store, auth)
    app = create_gateway(
        catalog,
        transport,
        sinks=record_sinks(txlog, monitoring),
        resources=[auth_store, txlog, monitoring],
        store=store,
        rate_limiter=make_rate_limiter(settings.redis_url),
        gateway_settings=GatewaySettings() if gateway_settings is None else gateway_settings,
        adapters=adapters,
        access=access,
        max_body_bytes=settings.max_body_bytes,
        manage_transport=manage_transport,
        client_ids=HttpIntakeSettings().tls_client_ids,
    )
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    admin = AdminCredential(auth.admin_key_sha256 + ((hash_api_key(admin_key),) if admin_key else ()))
    tokens = auth.monitoring_token_sha256 + ((hash_api_key(monitoring_token),) if monitoring_token else ())
    monitoring_credential = MonitoringCredential(tokens, admin)
    monitored = [Depends(monitoring_credential)]
    app.include_router(admin_router(access, admin))
    app.include_router(monitoring_router(monitoring, dependencies=monitored))
    app.include_router(operations_router(catalog, store, dependencies=monitored))
    inbound = InboundContext(TransportEventPublisher(transport), store, InboundSettings())
    app.include_router(callbacks_router(adapters, inbound))
    # The state the operator views (bus.dashboard) read: the very objects these routes use.
    app.state.monitoring, app.state.transaction_log = monitoring, txlog.log
    app.state.store, app.state.admin_credential = store, admin
    app.state.monitoring_credential = monitoring_credential
    serve_offline_docs(app)
    # Outermost, so requests refused early are counted as in flight too.
    app.add_middleware(InFlightMiddleware, metrics=monitoring.metrics)
    return app
