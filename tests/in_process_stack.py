"""The bus assembled in one process for tests: a worker on a transport, gateways over it, driven by httpx.

The one harness every stack-building test uses:
- `running_bus`: a transport (memory, or RabbitMQ with its queues removed afterwards) that records what
  was sent, and a worker serving a catalog's services with the adapters given.
- `running_gateway`: a gateway built by `create_gateway` over that bus, called in-process through
  httpx; several may share one bus (replicas), each over its own clients of one `Backend`'s state.
- `running_stack`: both, on the echo catalog below (good, slow, failing, crashing and unserved services).
- `secured_stack`: both, with the security surface `bus/gateway/assembly.py` mounts (tokens, admin,
  monitoring behind its credential, provider callbacks publishing events, header limits).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from pydantic import JsonValue, SecretStr

from adapters.echo import EchoAdapter
from adapters.payment import PaymentAdapter, PaymentConfig
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.adapter import Adapter
from bus.admin import AdminCredential, admin_router
from bus.auth import AuthSettings, token_router
from bus.catalog import Catalog, ServiceSpec, hash_api_key
from bus.envelope import Envelope
from bus.errors import DuplicateRequest, ProviderError
from bus.events import BusEvent, TransportEventPublisher, decode_event, event_queue
from bus.gateway.access import AccessControl
from bus.gateway.app import create_gateway
from bus.gateway.callbacks import callbacks_router
from bus.gateway.operations import operations_router
from bus.gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from bus.gateway.routing import ServiceRouter
from bus.gateway.settings import GatewaySettings
from bus.inbound import InboundContext, InboundSettings
from bus.monitoring import make_monitoring_sink, monitoring_router
from bus.monitoring.access import MonitoringCredential
from bus.store import MemoryStore, RedisStore, Store
from bus.transaction import TransactionSink
from bus.transport import Delivery, Message, Transport, make_transport
from bus.transport.base import Handler, Subscription
from bus.worker import Worker
from tests.reliability.processes import delete_queues
from tests.store.conftest import bounded, delete_prefixed

KEY = "right-key"
OTHER_KEY = "other-key"


class RecordingTransport:
    """Delegates to a real transport and records the queues the gateway sends to."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.sent: list[str] = []

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def publish(self, queue: str, message: Message) -> None:
        self.sent.append(queue)
        await self.inner.publish(queue, message)

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        self.sent.append(queue)
        try:
            return await self.inner.request(queue, message, timeout)
        except DuplicateRequest:
            self.sent.remove(queue)  # refused before anything was published: not sent
            raise

    async def reply(self, address: str, message: Message) -> None:
        await self.inner.reply(address, message)

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        await self.inner.publish_delayed(queue, message, delay)

    async def get(self, queue: str) -> Delivery | None:
        return await self.inner.get(queue)

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> Subscription:
        return await self.inner.consume(queue, handler, prefetch=prefetch, max_length=max_length)


@dataclass
class Bus:
    """A worker serving a catalog on one transport; `subsystem` is the catalog's own, for `url`."""

    catalog: Catalog
    transport: RecordingTransport
    subsystem: str

    def service(self, service_code: str) -> ServiceSpec:
        """The catalog's service with this code."""
        return next(s for s in self.catalog.services if s.id.service_code == service_code)

    def url(self, service_code: str, path: str = "") -> str:
        """The gateway path calling this service of the subsystem."""
        return f"/r1/VN/GOV/HPG/{self.subsystem}/{service_code}/v1" + (f"/{path}" if path else "")


@asynccontextmanager
async def running_bus(
    catalog: Catalog,
    adapters: Mapping[str, Adapter],
    *,
    subsystem: str = "",
    transport_url: str | None = None,
    unserved: Iterable[str] = (),
    worker_name: str = "test-worker",
    store: Store | None = None,
) -> AsyncIterator[Bus]:
    """The transport and a worker (on `store`, else its own) serving every service but those coded
    in `unserved`."""
    transport = RecordingTransport(make_transport(transport_url, connection_name=f"lgsp-{worker_name}"))
    await transport.connect()
    left_out = set(unserved)
    served = [str(s.id) for s in catalog.services if s.id.service_code not in left_out]
    worker = Worker(catalog, transport, adapters, name=worker_name, only=served, drain_seconds=1, store=store)
    await worker.start()
    try:
        yield Bus(catalog, transport, subsystem)
    finally:
        await worker.stop()
        await transport.close()
        if transport_url is not None:
            await asyncio.wait_for(delete_queues(transport_url, catalog), 10)


@dataclass
class Backend:
    """Shared state of one kind; each `store()`/`limiter()` is a new client of that same state."""

    kind: str
    redis_url: str | None = None
    prefix: str = field(default_factory=lambda: f"lgsp-test:{secrets.token_hex(8)}:")
    _memory_store: MemoryStore = field(default_factory=MemoryStore)
    _memory_limiter: MemoryRateLimiter = field(default_factory=MemoryRateLimiter)
    _made: list[RedisStore | RateLimiter] = field(default_factory=list)

    def store(self) -> Store:
        """A client of the shared store (the one MemoryStore, or a new Redis client on the prefix)."""
        if self.redis_url is None:
            return self._memory_store
        made = RedisStore(bounded(self.redis_url), prefix=self.prefix + "s:")
        self._made.append(made)
        return made

    def limiter(self) -> RateLimiter:
        """A client of the shared rate-limit state."""
        if self.redis_url is None:
            return self._memory_limiter
        made = RedisRateLimiter(bounded(self.redis_url), prefix=self.prefix + "r:")
        self._made.append(made)
        return made

    async def close(self) -> None:
        """Close every client made, and remove the Redis keys of the prefix."""
        for made in self._made:
            await made.close()
        if self.redis_url is not None:
            await delete_prefixed(self.redis_url, self.prefix)


@dataclass
class Gateway:
    """One gateway over a bus: its in-process HTTP client, its app and the router serving `/r1`."""

    client: httpx.AsyncClient
    app: FastAPI
    router: ServiceRouter


@asynccontextmanager
async def running_gateway(
    bus: Bus,
    backend: Backend | None = None,
    *,
    sinks: Sequence[TransactionSink] = (),
    access: AccessControl | None = None,
    store: Store | None = None,
    max_body_bytes: int = 1_048_576,
    callback_http: httpx.AsyncClient | None = None,
    mount: Callable[[FastAPI], None] | None = None,
    timeout: float = 5.0,
    client_ids: Mapping[str, str] | None = None,
    **settings: Any,
) -> AsyncIterator[Gateway]:
    """A gateway replica on `bus`, its state in `backend` (or `store`); `settings` go to GatewaySettings.

    `mount` adds routers and middleware to the app before the first call; `client_ids` requires mutual
    TLS (client certificate subject → client id)."""
    gateway_settings = GatewaySettings(**{"idempotency_poll_seconds": 0.02, "drain_seconds": 5, **settings})
    app = create_gateway(
        bus.catalog,
        bus.transport,
        sinks=sinks,
        store=backend.store() if backend is not None else store,
        rate_limiter=backend.limiter() if backend is not None else None,
        gateway_settings=gateway_settings,
        access=access,
        max_body_bytes=max_body_bytes,
        callback_http=callback_http,
        manage_transport=False,
        client_ids=client_ids,
    )
    if mount is not None:
        mount(app)
    router: ServiceRouter = app.state.service_router
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=timeout
        ) as client:
            yield Gateway(client, app, router)
    finally:
        await router.drain()


class FailingAdapter:
    """Always fails the way a broken provider does."""

    async def handle(self, request: Envelope) -> JsonValue:
        raise ProviderError("provider answered 500")


class CrashingAdapter:
    """An adapter with a bug."""

    async def handle(self, request: Envelope) -> JsonValue:
        raise ZeroDivisionError("bug")


class CodeEchoAdapter:
    """Answers after `delay` seconds with the caller, its payload and the provider request code."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def handle(self, request: Envelope) -> JsonValue:
        await asyncio.sleep(self.delay)
        return {"client": str(request.client), "echo": request.payload, "request_code": request.request_code}


def echo_catalog(subsystem: str) -> Catalog:
    """Two clients, six services of a unique subsystem (so parallel runs never share queues)."""
    base = f"VN/GOV/HPG/{subsystem}"
    stp_only = ["VN/GOV/HPG/STP"]
    return Catalog.model_validate(
        {
            "adapters": {"echo": {}, "slow": {}, "failing": {}, "crashing": {}, "codes": {}},
            "clients": [
                {"id": "VN/GOV/HPG/STP", "groups": ["province"], "api_key_sha256": [hash_api_key(KEY)]},
                {"id": "VN/GOV/HPG/OTHER", "api_key_sha256": [hash_api_key(OTHER_KEY)]},
            ],
            "services": [
                {"id": f"{base}/Echo/v1", "adapter": "echo", "allow": ["group:province"]},
                {"id": f"{base}/Slow/v1", "adapter": "slow", "timeout": 0.5, "allow": stp_only},
                {"id": f"{base}/Failing/v1", "adapter": "failing", "allow": stp_only},
                {"id": f"{base}/Crashing/v1", "adapter": "crashing", "allow": stp_only},
                {"id": f"{base}/Orphan/v1", "adapter": "echo", "timeout": 0.3, "allow": stp_only},
                {
                    "id": f"{base}/Shared/v1",
                    "adapter": "codes",
                    "allow": ["VN/GOV/HPG/STP", "VN/GOV/HPG/OTHER"],
                },
            ],
        }
    )


def echo_adapters() -> Mapping[str, Adapter]:
    """The adapters of `echo_catalog`: echo, a 3 s echo, a failing and a crashing one, and Shared's
    echo of the caller and request code after 0.5 s."""
    return {
        "codes": CodeEchoAdapter(0.5),
        "echo": EchoAdapter({}),
        "slow": EchoAdapter({"delay": 3.0}),
        "failing": FailingAdapter(),
        "crashing": CrashingAdapter(),
    }


@dataclass
class Stack:
    """What a test of the echo catalog drives: an httpx client on the gateway, and what it sent."""

    client: httpx.AsyncClient
    transport: RecordingTransport
    catalog: Catalog
    subsystem: str
    bus: Bus

    def service(self, service_code: str) -> ServiceSpec:
        """The catalog's service with this code."""
        return self.bus.service(service_code)

    def url(self, service_code: str, path: str = "") -> str:
        """The gateway path calling this service."""
        return self.bus.url(service_code, path)


@asynccontextmanager
async def running_stack(transport_url: str | None, **gateway_options: Any) -> AsyncIterator[Stack]:
    """Gateway and worker sharing one transport (as in `lgsp run`) on the echo catalog; Orphan unserved."""
    subsystem = "T" + secrets.token_hex(4).upper()
    catalog = echo_catalog(subsystem)
    async with (
        running_bus(
            catalog, echo_adapters(), subsystem=subsystem, transport_url=transport_url, unserved=["Orphan"]
        ) as bus,
        running_gateway(bus, **gateway_options) as gateway,
    ):
        yield Stack(gateway.client, bus.transport, catalog, subsystem, bus)


MAX_BODY = 8192  # room for a 4,400-digit integer, which must be refused as such
SECURED_SLOW_SECONDS = 0.5  # the secured catalog's Slow service answers after this
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


async def _collect_events(transport: Transport, event_types: Iterable[str]) -> list[BusEvent]:
    events: list[BusEvent] = []

    async def keep(delivery: Delivery) -> None:
        events.append(decode_event(delivery.message))
        await delivery.ack()

    for event_type in event_types:  # consuming declares the queues the callbacks publish to
        await transport.consume(event_queue(event_type), keep)
    return events


@asynccontextmanager
async def secured_stack(
    catalog: Catalog, store: Store, settings: AuthSettings
) -> AsyncIterator[SecuredStack]:
    """The gateway on the memory transport with its security surface, an echo worker (and a slow one)
    behind it."""
    adapters = {"echo": EchoAdapter({}), "slow": EchoAdapter({"delay": SECURED_SLOW_SECONDS})}
    async with running_bus(catalog, adapters, worker_name="security-worker") as bus:
        events = await _collect_events(bus.transport, EVENT_TYPES)
        access = AccessControl.build(catalog, store, settings)
        monitoring = make_monitoring_sink(None, catalog=catalog)

        def mount(app: FastAPI) -> None:
            app.include_router(token_router(access.catalog, access.keyring, access.tokens))
            admin = AdminCredential(settings.admin_key_sha256)
            app.include_router(admin_router(access, admin))
            monitored = [Depends(MonitoringCredential(settings.monitoring_token_sha256, admin))]
            app.include_router(monitoring_router(monitoring, dependencies=monitored))
            app.include_router(operations_router(catalog, store, dependencies=monitored))
            receivers = {
                "payment": PaymentAdapter(
                    PaymentConfig(partner_code=PAYGOV_PARTNER, secret=SecretStr(PAYGOV_SECRET))
                ),
                "vnpost": VnpostAdapter(VnpostConfig()),
            }
            inbound = InboundContext(TransportEventPublisher(bus.transport), store, InboundSettings())
            app.include_router(callbacks_router(receivers, inbound))

        async with running_gateway(
            bus,
            sinks=[monitoring],
            store=store,
            access=access,
            max_body_bytes=MAX_BODY,
            mount=mount,
            timeout=10,
        ) as gateway:
            yield SecuredStack(gateway.client, bus.transport, access, store, catalog, events)
