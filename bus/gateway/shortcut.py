"""`/r1/…` service calls served straight from the ServiceRouter, past FastAPI's routing layers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bus.errors import BusError
from bus.gateway.routing import error_response

SERVICE_PREFIX = "/r1/"
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

CallService = Callable[[str, Request], Awaitable[Response]]


class ServiceCallShortcut:
    """Pure ASGI middleware: a `/r1/{service path}` call with one of ROUTE_METHODS goes to `call`
    directly; anything else (other paths, HEAD/OPTIONS, a mounted app's root_path) to `app`.

    Innermost of the app's middleware, so header limits, in-flight counting and the server-error
    handler still wrap every call. It skips what a call never used: FastAPI's exception and
    dependency-exit-stack layers, the router's scan and the request/response wrapper. A BusError
    escaping `call` (a transaction log that cannot record) is answered as the app's handler does.
    """

    def __init__(self, app: ASGIApp, *, call: CallService) -> None:
        self.app = app
        self.call = call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a service call, or pass anything else on unchanged."""
        if (
            scope["type"] != "http"
            or scope["method"] not in ROUTE_METHODS
            or scope.get("root_path")
            or not (scope["path"].startswith(SERVICE_PREFIX) or scope["path"] == SERVICE_PREFIX[:-1])
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            # "/r1" alone is a call naming no service: a typed error, never the router's slash redirect
            response = await self.call(scope["path"][len(SERVICE_PREFIX) :], request)
        except BusError as error:
            response = error_response(error, None)
        await response(scope, receive, send)
