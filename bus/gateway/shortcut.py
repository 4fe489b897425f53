"""`/r1/…` service calls served straight from the ServiceRouter, past FastAPI's routing layers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bus.errors import BusError, MethodNotAllowed
from bus.gateway.routing import error_response

SERVICE_PREFIX = "/r1/"
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

CallService = Callable[[str, Request], Awaitable[Response]]


class ServiceCallShortcut:
    """Pure ASGI middleware: a `/r1/{service path}` call with one of ROUTE_METHODS goes to `call`
    directly, one with another method (HEAD, OPTIONS) is refused with the taxonomy's 405 and `Allow`;
    anything else (other paths, a mounted app's root_path) goes to `app`.

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
            or scope.get("root_path")
            or not (scope["path"].startswith(SERVICE_PREFIX) or scope["path"] == SERVICE_PREFIX[:-1])
        ):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ROUTE_METHODS:
            refused = MethodNotAllowed(
                "a service call takes one of the methods in Allow", allow=ROUTE_METHODS
            )
            await error_response(refused, None)(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            # "/r1" alone is a call naming no service: a typed error, never the router's slash redirect
            response = await self.call(scope["path"][len(SERVICE_PREFIX) :], request)
        except BusError as error:
            response = error_response(error, None)
        await response(scope, receive, send)
