"""InFlightMiddleware: the gauge of service calls received and not yet answered."""

from __future__ import annotations

from typing import Any

import pytest

from bus.monitoring.in_flight import InFlightMiddleware
from bus.monitoring.metrics import BusMetrics


def in_flight(metrics: BusMetrics) -> float:
    """The gauge's current value, as Prometheus would read it."""
    value = metrics.registry.get_sample_value("lgsp_in_flight_requests")
    assert value is not None
    return value


async def call(app: InFlightMiddleware, path: str) -> None:
    """One HTTP request to `path` through `app`."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    await app({"type": "http", "path": path}, receive, send)


async def test_a_service_call_is_counted_while_it_runs_and_uncounted_once_answered_or_failed() -> None:
    metrics = BusMetrics()
    seen: list[float] = []

    async def service(scope: Any, receive: Any, send: Any) -> None:
        seen.append(in_flight(metrics))
        if scope["path"].endswith("/fail"):
            raise RuntimeError("the app failed")

    app = InFlightMiddleware(service, metrics=metrics)
    await call(app, "/r1/VN/GOV/HPG/LGSP/Echo/v1")
    with pytest.raises(RuntimeError):
        await call(app, "/r1/VN/GOV/HPG/LGSP/Echo/v1/fail")
    await call(app, "/health")
    assert seen == [1.0, 1.0, 0.0]  # /health is not a service call
    assert in_flight(metrics) == 0.0
