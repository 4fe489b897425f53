"""Counts service calls in progress, which no finished-transaction record can tell."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bus.monitoring.metrics import BusMetrics

SERVICE_PREFIX = "/r1/"


class InFlightMiddleware:
    """ASGI middleware keeping `lgsp_in_flight_requests` at the number of `/r1/` calls not yet answered.

    Mount with `app.add_middleware(InFlightMiddleware, metrics=sink.metrics)`.
    """

    def __init__(self, app: ASGIApp, *, metrics: BusMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the call on, counting it while it runs when it is an HTTP service call."""
        if scope["type"] != "http" or not scope["path"].startswith(SERVICE_PREFIX):
            await self.app(scope, receive, send)
            return
        gauge = self.metrics.in_flight
        gauge.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            gauge.dec()
