"""A gateway with the security surface mounted as bus/gateway/assembly.py wires it: access control (API
keys and bearer tokens at /r1) over a shared store, token endpoint, admin API, monitoring behind its
credential, header limits, the provider callbacks publishing events; a worker answering with the echo
adapter (and a slow one)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import Depends
from pydantic import SecretStr

from adapters.echo import EchoAdapter
from bus.admin import AdminCredential, admin_router
from bus.auth import AuthSettings, token_router
from bus.catalog import Catalog
from bus.events import BusEvent, TransportEventPublisher, decode_event, event_queue
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import CallbackConfig, callbacks_router
from bus.gateway.limits import HeaderLimitMiddleware, InputLimits
from bus.gateway.operations import operations_router
from bus.monitoring import make_monitoring_sink, monitoring_router
from bus.monitoring.access import MonitoringCredential
from bus.store import Store
from bus.transport import Delivery, make_transport
from bus.worker import Worker
from tests.bus.harness import RecordingTransport
from tests.security.conftest import SLOW_SECONDS

MAX_BODY = 8192  # room for a 4,400-digit integer, which must be refused as such
PAYGOV_PARTNER = "HPG_LGSP"
PAYGOV_SECRET = "paygov-partner-secret-for-security-tests"
EVENT_TYPES = ("payment.confirmed", "payment.failed", "parcel.status_changed")


@dataclass
class SecuredStack:
    """What an attack drives: the HTTP client, what reached the bus, the access control and its store,
    and the events the callbacks published."""

    http: httpx.AsyncClient
    transport: RecordingTransport
    access: AccessControl
    store: Store
    catalog: Catalog
    events: list[BusEvent] = field(default_factory=list)


@asynccontextmanager
async def secured_stack(
    catalog: Catalog, store: Store, settings: AuthSettings
) -> AsyncIterator[SecuredStack]:
    """The gateway on the memory transport, with the security routers and middleware of issue 7."""
    transport = RecordingTransport(make_transport(None, connection_name="lgsp-security-test"))
    await transport.connect()
    adapters = {"echo": EchoAdapter({}), "slow": EchoAdapter({"delay": SLOW_SECONDS})}
    worker = Worker(catalog, transport, adapters, name="security-worker", drain_seconds=1)
    await worker.start()
    events: list[BusEvent] = []

    async def keep(delivery: Delivery) -> None:
        events.append(decode_event(delivery.message))
        await delivery.ack()

    for event_type in EVENT_TYPES:  # consuming declares the queues the callbacks publish to
        await transport.consume(event_queue(event_type), keep)
    access = AccessControl.build(catalog, store, settings)
    monitoring = make_monitoring_sink(None, catalog=catalog)
    app = create_gateway(
        catalog,
        transport,
        sinks=[monitoring],
        store=store,
        access=access,
        manage_transport=False,
        max_body_bytes=MAX_BODY,
    )
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    admin = AdminCredential(settings.admin_key_sha256)
    app.include_router(admin_router(access, admin))
    monitored = [Depends(MonitoringCredential(settings.monitoring_token_sha256, admin))]
    app.include_router(monitoring_router(monitoring, dependencies=monitored))
    app.include_router(operations_router(catalog, store, dependencies=monitored))
    callbacks = CallbackConfig(paygov_partners={PAYGOV_PARTNER: SecretStr(PAYGOV_SECRET)})
    app.include_router(callbacks_router(TransportEventPublisher(transport), callbacks, store))
    app.add_middleware(HeaderLimitMiddleware, limits=InputLimits())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=10
        ) as http:
            yield SecuredStack(http, transport, access, store, catalog, events)
    finally:
        await worker.stop()
        await transport.close()
