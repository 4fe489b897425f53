"""The gateway: HTTP in, envelope onto the bus, the provider's answer (or a taxonomy error) out."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from bus.adapter import Adapter
from bus.catalog import Catalog
from bus.errors import BusError, InternalError, RequestIncomplete
from bus.gateway.access import AccessControl
from bus.gateway.async_requests import transactions_router
from bus.gateway.client_certificates import ClientCertificateMiddleware
from bus.gateway.limits import HeaderLimitMiddleware, InputLimits
from bus.gateway.ratelimit import RateLimiter
from bus.gateway.routing import ServiceRouter, error_response
from bus.gateway.schemas import schemas_router
from bus.gateway.settings import GatewaySettings
from bus.gateway.shortcut import ROUTE_METHODS, ServiceCallShortcut
from bus.gateway.unrouted_calls import UnroutedCallRecorder
from bus.store import Store
from bus.transaction import TransactionSink
from bus.transport.base import Transport

log = logging.getLogger(__name__)


class Resource(Protocol):
    """Something the gateway opens at start-up and closes at shutdown."""

    async def connect(self) -> None: ...

    async def close(self) -> None: ...


def create_gateway(
    catalog: Catalog,
    transport: Transport,
    *,
    sinks: Sequence[TransactionSink] = (),
    resources: Sequence[Resource] = (),
    store: Store | None = None,
    rate_limiter: RateLimiter | None = None,
    gateway_settings: GatewaySettings | None = None,
    adapters: Mapping[str, Adapter] | None = None,
    access: AccessControl | None = None,
    max_body_bytes: int = 1_048_576,
    manage_transport: bool = True,
    callback_http: httpx.AsyncClient | None = None,
    input_limits: InputLimits | None = None,
    client_ids: Mapping[str, str] | None = None,
) -> FastAPI:
    """The gateway app; it connects (and on shutdown closes) `transport` unless told not to, and
    every one of `resources` (stores, sinks) always. With `adapters`, each service's canonical
    schema is served at `/catalog/schemas/{service id}` and linked from `GET /catalog`.
    `callback_http` posts async results to their callback URLs (default: a client of its own).
    Every request is held to `input_limits` (default: InputLimits()); with `client_ids` (client
    certificate subject → client id) a call acts as the client its mutual-TLS certificate names.
    Every `/r1` call, refused by these or served, leaves one record for every sink."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        owned = [transport, *resources] if manage_transport else list(resources)
        for resource in owned:
            await resource.connect()
        yield
        await route.drain()
        if rate_limiter is not None:
            await rate_limiter.close()
        for resource in reversed(owned):
            await resource.close()

    app = FastAPI(
        title="LGSP gateway",
        description="Provincial integration platform: `/r1/{service id}[/{path}]` calls a national system.",
        version="1",
        lifespan=lifespan,
        # The bus carries its own trace context and Prometheus metrics; FastAPI's native
        # OpenTelemetry, unused, still looked its providers up on every request (≈ 8 µs).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, getattr(request.state, "transaction_id", None))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # A caller leaving mid-body (admin, token, callbacks) is routine: a warning, not a traceback.
        log.warning("caller disconnected mid-request: %s %s", request.method, request.url.path[:128])
        return error_response(RequestIncomplete("the request ended early: connection closed"), None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Starlette's outermost middleware answers with this instead of a text/plain 500 (and still
        # logs the traceback: an unexpected failure is a bug to see).
        return error_response(InternalError("the bus failed to serve this request"), None)

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, Any]:
        """Liveness, how many services the catalog declares, and which process answered (with
        `--processes N` several share the port)."""
        return {"status": "ok", "services": len(catalog.services), "pid": os.getpid()}

    @app.get("/catalog", tags=["operations"])
    async def list_services(request: Request) -> dict[str, Any]:
        """The services the calling client may use (X-Road's allowedMethods)."""
        client = await route.access.authenticate(request.headers)
        return {
            "client": str(client.id),
            "services": [
                {
                    "id": str(s.id),
                    "name": s.name,
                    "timeout": s.timeout,
                    "schema": f"/catalog/schemas/{s.id}" if adapters is not None else None,
                }
                for s in await route.access.services_for(client)
            ],
        }

    limits = InputLimits() if input_limits is None else input_limits
    route = ServiceRouter(
        catalog,
        transport,
        sinks,
        max_body_bytes,
        limits=limits,
        store=store,
        rate_limiter=rate_limiter,
        settings=gateway_settings,
        access=access,
        callback_http=callback_http,
    )
    app.state.service_router = route  # what serves /r1: its in-flight slots, idempotency keys, drain
    app.include_router(transactions_router(route.access, route.async_calls))
    if adapters is not None:
        app.include_router(schemas_router(catalog, adapters))

    async def serve_call(request: Request) -> Response:
        return await route(request.path_params["service_path"], request)

    # Calls are served by the shortcut middleware, ahead of FastAPI's routing; the plain route serves
    # them when the app is mounted under a root path. The FastAPI operations only document it.
    app.add_middleware(ServiceCallShortcut, call=route)
    app.add_middleware(HeaderLimitMiddleware, limits=limits)
    if client_ids:  # mutual TLS: a call acts as the client its certificate names
        app.add_middleware(ClientCertificateMiddleware, client_ids=client_ids)
    # Outside every middleware that may refuse a call, so a refused call is recorded too.
    app.add_middleware(UnroutedCallRecorder, sinks=sinks)
    plain = Route("/r1/{service_path:path}", serve_call, methods=list(ROUTE_METHODS))
    # Starlette adds HEAD to a route that lists GET; an envelope has no HEAD, so refuse it (405).
    if plain.methods is not None:
        plain.methods.discard("HEAD")
    app.router.routes.insert(0, plain)
    for method in ROUTE_METHODS:
        app.add_api_route(
            "/r1/{service_path:path}",
            route,
            methods=[method],
            tags=["routing"],
            operation_id=f"call_service_{method.lower()}",
            response_class=Response,
        )
    return app
