"""Pure ASGI middleware (it sits on every load-test request) that runs requests through the injector."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.faults.injector import FaultInjector

# The controls and the docs must keep working during an outage, or nobody could end it.
EXEMPT_PREFIXES = ("/_control/", "/docs", "/redoc", "/openapi.json")


class FaultMiddleware:
    """Applies `injector`'s faults to every HTTP request except the control API and the docs."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            return await self.app(scope, receive, send)
        await self.injector.apply(self.app, scope, receive, send)


def is_exempt(path: str) -> bool:
    """Whether requests to `path` bypass fault injection."""
    return path == "/_control" or path.startswith(EXEMPT_PREFIXES)
