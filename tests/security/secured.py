"""A gateway with the security surface mounted as bus/gateway/assembly.py wires it: access control (API
keys and bearer tokens at /r1) over a shared store, token endpoint, admin API, header limits, the provider
callbacks publishing events; a worker answering with the echo adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from adapters.echo import EchoAdapter
from adapters.payment import PaymentAdapter, PaymentConfig
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.admin import AdminCredential, admin_router
from bus.auth import AuthSettings, token_router
from bus.catalog import Catalog
from bus.events import BusEvent, TransportEventPublisher, decode_event, event_queue
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import callbacks_router
from bus.gateway.limits import HeaderLimitMiddleware, InputLimits
from bus.inbound import InboundContext, InboundSettings
from bus.store import Store
from bus.transport import Delivery, make_transport
from bus.worker import Worker
from tests.bus.harness import RecordingTransport

MAX_BODY = 4096
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
    worker = Worker(catalog, transport, {"echo": EchoAdapter({})}, name="security-worker", drain_seconds=1)
    await worker.start()
    events: list[BusEvent] = []

    async def keep(delivery: Delivery) -> None:
        events.append(decode_event(delivery.message))
        await delivery.ack()

    for event_type in EVENT_TYPES:  # consuming declares the queues the callbacks publish to
        await transport.consume(event_queue(event_type), keep)
    access = AccessControl.build(catalog, store, settings)
    app = create_gateway(
        catalog, transport, store=store, access=access, manage_transport=False, max_body_bytes=MAX_BODY
    )
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    app.include_router(admin_router(access, AdminCredential(settings.admin_key_sha256)))
    receivers = {
        "payment": PaymentAdapter(
            PaymentConfig(partner_code=PAYGOV_PARTNER, secret=SecretStr(PAYGOV_SECRET))
        ),
        "vnpost": VnpostAdapter(VnpostConfig()),
    }
    inbound = InboundContext(TransportEventPublisher(transport), store, InboundSettings())
    app.include_router(callbacks_router(receivers, inbound))
    app.add_middleware(HeaderLimitMiddleware, limits=InputLimits())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=10
        ) as http:
            yield SecuredStack(http, transport, access, store, catalog, events)
    finally:
        await worker.stop()
        await transport.close()
