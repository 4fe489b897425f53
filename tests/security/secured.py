"""A gateway with the security surface mounted as the lead will wire it: token endpoint, admin API,
header limits, access control over a shared store; a worker answering with the echo adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from adapters.echo import EchoAdapter
from bus.admin import AdminCredential, admin_router
from bus.auth import AuthSettings, token_router
from bus.catalog import Catalog
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.limits import HeaderLimitMiddleware, InputLimits
from bus.store import Store
from bus.transport import make_transport
from bus.worker import Worker
from tests.bus.harness import RecordingTransport

MAX_BODY = 4096


@dataclass
class SecuredStack:
    """What an attack drives: the HTTP client, what reached the bus, the access control and its store."""

    http: httpx.AsyncClient
    transport: RecordingTransport
    access: AccessControl
    store: Store
    catalog: Catalog


@asynccontextmanager
async def secured_stack(
    catalog: Catalog, store: Store, settings: AuthSettings
) -> AsyncIterator[SecuredStack]:
    """The gateway on the memory transport, with the security routers and middleware of issue 7."""
    transport = RecordingTransport(make_transport(None, connection_name="lgsp-security-test"))
    await transport.connect()
    worker = Worker(catalog, transport, {"echo": EchoAdapter({})}, name="security-worker", drain_seconds=1)
    await worker.start()
    access = AccessControl.build(catalog, store, settings)
    app = create_gateway(catalog, transport, manage_transport=False, max_body_bytes=MAX_BODY)
    app.include_router(token_router(access.catalog, access.keyring, access.tokens))
    app.include_router(admin_router(access, AdminCredential(settings.admin_key_sha256)))
    app.add_middleware(HeaderLimitMiddleware, limits=InputLimits())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=10
        ) as http:
            yield SecuredStack(http, transport, access, store, catalog)
    finally:
        await worker.stop()
        await transport.close()
