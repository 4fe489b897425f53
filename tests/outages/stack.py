"""A gateway and a worker on RabbitMQ (and optionally Redis) whose connections go through fault proxies."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import JsonValue

from bus.catalog import Catalog
from bus.envelope import Envelope
from bus.gateway.app import create_gateway
from bus.gateway.ratelimit import RateLimiter
from bus.gateway.routing import ServiceRouter
from bus.gateway.settings import GatewaySettings
from bus.store import Store
from bus.transaction import TransactionSink
from bus.transport import AmqpTransport, Transport
from bus.worker import Worker
from tests.gateway.conftest import STP, CountingAdapter, gateway_catalog
from tests.in_process_stack import running_bus
from tests.reliability.processes import delete_queues
from tests.support.fault_proxy import FaultProxy

# Short enough that a test sees an outage and a recovery in seconds.
RECONNECT_INTERVAL = 0.3
RECONNECT_GRACE = 1.0


def outage_transport(url: str, name: str, confirm_timeout: float = 15.0) -> AmqpTransport:
    """An AMQP transport that reconnects quickly and gives a blip `RECONNECT_GRACE` seconds."""
    return AmqpTransport(
        url,
        connection_name=name,
        reconnect_interval=RECONNECT_INTERVAL,
        reconnect_grace=RECONNECT_GRACE,
        confirm_timeout=confirm_timeout,
    )


def outage_catalog(subsystem: str, count_timeout: float | None) -> Catalog:
    """The gateway tests' catalog, with the Count service's time-out set when given."""
    catalog = gateway_catalog(subsystem)
    if count_timeout is None:
        return catalog
    data = catalog.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for service in data["services"]:
        if service["id"].endswith("/Count/v1"):
            service["timeout"] = count_timeout
    return Catalog.model_validate(data)


class RecordingAdapter(CountingAdapter):
    """A CountingAdapter that also keeps every payload it served, to spot a request run twice."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.payloads: list[str] = []

    async def handle(self, request: Envelope) -> JsonValue:
        self.payloads.append(repr(request.payload))
        return await super().handle(request)

    def doubled(self) -> list[str]:
        """Payloads served more than once."""
        return sorted({p for p in self.payloads if self.payloads.count(p) > 1})


def gateway_app(
    catalog: Catalog,
    transport: Transport,
    settings: GatewaySettings,
    store: Store | None = None,
    rate_limiter: RateLimiter | None = None,
    sinks: Sequence[TransactionSink] = (),
) -> tuple[FastAPI, ServiceRouter]:
    """The gateway app on `transport` (which the test connects and closes) and its router."""
    app = create_gateway(
        catalog,
        transport,
        sinks=sinks,
        store=store,
        rate_limiter=rate_limiter,
        gateway_settings=settings,
        manage_transport=False,
    )
    router: ServiceRouter = app.state.service_router
    return app, router


@dataclass
class OutageStack:
    """The gateway's HTTP client, the counting provider and what the test may fault."""

    client: httpx.AsyncClient
    router: ServiceRouter
    worker: Worker
    count: RecordingAdapter
    subsystem: str
    gateway_transport: AmqpTransport
    worker_transport: AmqpTransport
    headers: dict[str, str] = field(default_factory=lambda: dict(STP))

    def url(self, service_code: str = "Count") -> str:
        return f"/r1/VN/GOV/HPG/{self.subsystem}/{service_code}/v1"

    async def call(self, payload: Any = None, **headers: str) -> httpx.Response:
        """POST to the Count service as STP."""
        return await self.client.post(
            self.url(), json=payload or {"n": 1}, headers={**self.headers, **headers}
        )


@asynccontextmanager
async def outage_stack(
    broker_url: str,
    cleanup_url: str,
    *,
    gateway_store: Store | None = None,
    worker_store: Store | None = None,
    rate_limiter: RateLimiter | None = None,
    sinks: Sequence[TransactionSink] = (),
    gateway_broker_url: str | None = None,
    confirm_timeout: float = 15.0,
    count_timeout: float | None = None,
    restore: Sequence[FaultProxy] = (),
    **settings: Any,
) -> AsyncIterator[OutageStack]:
    """A worker serving Count (0.05 s per call) and a gateway, each with its own connection to
    `broker_url` (the gateway's to `gateway_broker_url` when given); queues are deleted afterwards through
    `cleanup_url` (the broker, not the proxy). The `restore` proxies are opened again before the stack
    stops, so a failed test does not leave it closing connections that cannot close."""
    subsystem = "O" + secrets.token_hex(4).upper()
    catalog = outage_catalog(subsystem, count_timeout)
    count = RecordingAdapter(0.05)
    worker_transport = outage_transport(broker_url, f"outage-worker-{subsystem}")
    gateway_transport = outage_transport(
        gateway_broker_url or broker_url, f"outage-gateway-{subsystem}", confirm_timeout
    )
    served = [str(s.id) for s in catalog.services if s.id.service_code == "Count"]
    worker = Worker(
        catalog,
        worker_transport,
        {"count": count},
        name="outage-worker",
        only=served,
        store=worker_store,
        drain_seconds=1,
    )
    gateway_settings = GatewaySettings(**{"idempotency_poll_seconds": 0.02, "drain_seconds": 2, **settings})
    app, router = gateway_app(
        catalog, gateway_transport, gateway_settings, gateway_store, rate_limiter, sinks
    )
    try:
        await worker.start()
        await gateway_transport.connect()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield OutageStack(client, router, worker, count, subsystem, gateway_transport, worker_transport)
    finally:
        for proxy in restore:
            proxy.restore()
        await router.drain()
        await worker.stop()
        await worker_transport.close()
        await gateway_transport.close()
        await delete_queues(cleanup_url, catalog)


@dataclass
class CountedBus:
    """A worker on the memory transport serving the gateway tests' catalog; Count takes 0.2 s."""

    catalog: Catalog
    transport: Transport
    subsystem: str
    count: CountingAdapter

    def url(self, service_code: str) -> str:
        return f"/r1/VN/GOV/HPG/{self.subsystem}/{service_code}/v1"


@asynccontextmanager
async def counted_bus() -> AsyncIterator[CountedBus]:
    """The gateway tests' catalog served on the memory transport (Unserved and Late have no worker)."""
    subsystem = "G" + secrets.token_hex(4).upper()
    count = CountingAdapter(0.2)
    adapters = {
        "count": count,
        "slow": CountingAdapter(0.4),
        "quota": CountingAdapter(),
        "failing": CountingAdapter(fail=True),
        "rejecting": CountingAdapter(reject=True),
    }
    catalog = gateway_catalog(subsystem)
    async with running_bus(catalog, adapters, subsystem=subsystem, unserved=["Unserved", "Late"]) as bus:
        yield CountedBus(catalog, bus.transport, subsystem, count)
