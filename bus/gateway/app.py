"""The gateway: HTTP in, envelope onto the bus, the provider's answer (or a taxonomy error) out."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from bus.catalog import Catalog
from bus.codec import decode_reply, envelope_message
from bus.errors import BadRequest, BusError, InternalError
from bus.gateway.access import authenticate, authorize
from bus.gateway.requests import TRANSACTION_HEADER, build_envelope, read_payload
from bus.identifiers import IdentifierError, split_service_path
from bus.transport.base import Transport

log = logging.getLogger(__name__)

ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The adapter's deadline is the service's time-out; the gateway waits a little longer so that the
# worker's own verdict (Server.Provider.Timeout) arrives before the gateway's (Server.Bus.Timeout).
REPLY_GRACE_SECONDS = 0.25
WORKER_HEADER = "x-lgsp-worker"


def error_response(error: BusError, transaction_id: str | None) -> JSONResponse:
    """The taxonomy error as `{type, message, detail}` with its status."""
    headers = {TRANSACTION_HEADER: transaction_id} if transaction_id else {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return JSONResponse(error.body(transaction_id).model_dump(), status_code=error.status, headers=headers)


def create_gateway(
    catalog: Catalog, transport: Transport, *, max_body_bytes: int = 1_048_576, manage_transport: bool = True
) -> FastAPI:
    """The gateway app; it connects (and on shutdown closes) `transport` unless told not to."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_transport:
            await transport.connect()
        yield
        if manage_transport:
            await transport.close()

    app = FastAPI(
        title="LGSP gateway",
        description="Provincial integration platform: `/r1/{service id}[/{path}]` calls a national system.",
        version="1",
        lifespan=lifespan,
    )

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, getattr(request.state, "transaction_id", None))

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, Any]:
        """Liveness, and how many services the catalog declares."""
        return {"status": "ok", "services": len(catalog.services)}

    @app.get("/catalog", tags=["operations"])
    async def list_services(request: Request) -> dict[str, Any]:
        """The services the calling client may use (X-Road's allowedMethods)."""
        client = authenticate(catalog, request.headers)
        return {
            "client": str(client.id),
            "services": [
                {"id": str(s.id), "name": s.name, "timeout": s.timeout} for s in catalog.services_for(client)
            ],
        }

    async def route(service_path: str, request: Request) -> Response:
        """Call a service: `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION[/path]`."""
        client = authenticate(catalog, request.headers)
        try:
            service_id, path = split_service_path(service_path)
        except IdentifierError as exc:
            raise BadRequest(str(exc)) from exc
        service = authorize(catalog, client, service_id)
        payload = await read_payload(request, max_body_bytes)
        envelope = build_envelope(request, client, service, path, payload)
        request.state.transaction_id = envelope.correlation_id
        answer = await transport.request(
            service.id.queue_name, envelope_message(envelope), timeout=service.timeout + REPLY_GRACE_SECONDS
        )
        try:
            reply = decode_reply(answer)
        except ValidationError as exc:
            log.error("malformed reply for %s: %s", envelope.correlation_id, exc)
            raise InternalError("the worker's reply could not be read") from exc
        headers = {TRANSACTION_HEADER: envelope.correlation_id}
        if reply.worker:
            headers[WORKER_HEADER] = reply.worker
        if reply.trace is not None:
            headers["traceparent"] = reply.trace.traceparent
        if not reply.ok and reply.error is not None:
            reply.error.detail = envelope.correlation_id
            return JSONResponse(reply.error.model_dump(), status_code=reply.status, headers=headers)
        return Response(
            json.dumps(reply.payload, ensure_ascii=False).encode(),
            status_code=reply.status,
            media_type="application/json",
            headers=headers,
        )

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
