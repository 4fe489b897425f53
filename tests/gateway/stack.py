"""A worker on the memory transport and gateways wired with the reliability features, on one store kind.

`Backend` hands every gateway its own store and rate-limiter objects over shared state: one Redis prefix
(as separate replicas or a restarted process would have), or one MemoryStore (as one process has).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import JsonValue

from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.errors import BusError, ProviderError, ProviderRejected
from bus.gateway.async_requests import transactions_router
from bus.gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from bus.gateway.routing import ServiceRouter, error_response
from bus.gateway.settings import GatewaySettings
from bus.store import MemoryStore, RedisStore, Store
from bus.transport import Transport, make_transport
from bus.worker import Worker
from tests.store.conftest import bounded, delete_prefixed

KEY = "right-key"
OTHER_KEY = "other-key"
LIMITED_KEY = "limited-key"
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}
OTHER = {"X-Road-Client": "VN/GOV/HPG/OTHER", "X-Api-Key": OTHER_KEY}
LIMITED = {"X-Road-Client": "VN/GOV/HPG/LIMITED", "X-Api-Key": LIMITED_KEY}


class CountingAdapter:
    """Answers like a provider after `delay` seconds, counting calls and the most it served at once."""

    def __init__(self, delay: float = 0.0, *, fail: bool = False, reject: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.reject = reject
        self.codes: list[str] = []  # the request code of every call, in order
        self.calls = 0
        self.running = 0
        self.most_at_once = 0

    async def handle(self, request: Envelope) -> JsonValue:
        self.calls += 1
        self.codes.append(request.request_code)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.fail:
                raise ProviderError("provider answered 500")
            if self.reject:
                raise ProviderRejected("provider refused the request as invalid")
            return {"echo": request.payload, "call": self.calls, "attempt": request.attempt}
        finally:
            self.running -= 1


def gateway_catalog(subsystem: str) -> Catalog:
    """Three clients (one with a quota) and services: counted, slow, failing, quota-limited, unserved."""
    base = f"VN/GOV/HPG/{subsystem}"
    everyone = ["group:province"]
    return Catalog.model_validate(
        {
            "adapters": {name: {} for name in ("count", "slow", "failing", "rejecting", "quota", "late")},
            "clients": [
                {"id": "VN/GOV/HPG/STP", "groups": ["province"], "api_key_sha256": [hash_api_key(KEY)]},
                {
                    "id": "VN/GOV/HPG/OTHER",
                    "groups": ["province"],
                    "api_key_sha256": [hash_api_key(OTHER_KEY)],
                },
                {
                    "id": "VN/GOV/HPG/LIMITED",
                    "groups": ["province"],
                    "api_key_sha256": [hash_api_key(LIMITED_KEY)],
                    "rate_limit_per_second": 0.2,
                    "rate_limit_burst": 3,
                },
            ],
            "services": [
                {"id": f"{base}/Count/v1", "adapter": "count", "allow": everyone},
                {
                    "id": f"{base}/Slow/v1",
                    "adapter": "slow",
                    # Far above its 0.4 s: a flood under tracemalloc on a loaded machine must not time out.
                    "timeout": 30,
                    "concurrency": 64,
                    "allow": everyone,
                },
                {"id": f"{base}/Failing/v1", "adapter": "failing", "allow": everyone},
                {"id": f"{base}/Rejecting/v1", "adapter": "rejecting", "allow": everyone},
                {
                    "id": f"{base}/Quota/v1",
                    "adapter": "quota",
                    "allow": everyone,
                    "rate_limit_per_second": 0.2,
                    "rate_limit_burst": 2,
                },
                {"id": f"{base}/Unserved/v1", "adapter": "count", "timeout": 0.3, "allow": everyone},
                # Served only once a test starts its worker: its requests wait in the queue meanwhile.
                {"id": f"{base}/Late/v1", "adapter": "late", "timeout": 0.3, "allow": everyone},
            ],
        }
    )


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
        if self.redis_url is None:
            return self._memory_store
        made = RedisStore(bounded(self.redis_url), prefix=self.prefix + "s:")
        self._made.append(made)
        return made

    def limiter(self) -> RateLimiter:
        if self.redis_url is None:
            return self._memory_limiter
        made = RedisRateLimiter(bounded(self.redis_url), prefix=self.prefix + "r:")
        self._made.append(made)
        return made

    async def close(self) -> None:
        for made in self._made:
            await made.close()
        if self.redis_url is not None:
            await delete_prefixed(self.redis_url, self.prefix)


@dataclass
class Bus:
    """A worker serving the test catalog on one memory transport."""

    catalog: Catalog
    transport: Transport
    subsystem: str
    count: CountingAdapter
    slow: CountingAdapter
    quota: CountingAdapter
    failing: CountingAdapter = field(default_factory=lambda: CountingAdapter(fail=True))
    rejecting: CountingAdapter = field(default_factory=lambda: CountingAdapter(reject=True))

    def url(self, service_code: str) -> str:
        return f"/r1/VN/GOV/HPG/{self.subsystem}/{service_code}/v1"


@asynccontextmanager
async def running_bus(slow_delay: float = 0.4, store: Store | None = None) -> AsyncIterator[Bus]:
    """The worker (on `store`, shared with the gateways as in production) and its transport; the
    Unserved and Late services have no worker."""
    subsystem = "G" + secrets.token_hex(4).upper()
    catalog = gateway_catalog(subsystem)
    transport = make_transport(None)
    await transport.connect()
    count, slow, quota = CountingAdapter(0.2), CountingAdapter(slow_delay), CountingAdapter()
    bus = Bus(catalog, transport, subsystem, count, slow, quota)
    adapters = {
        "count": bus.count,
        "slow": bus.slow,
        "quota": bus.quota,
        "failing": bus.failing,
        "rejecting": bus.rejecting,
    }
    served = [str(s.id) for s in catalog.services if s.id.service_code not in ("Unserved", "Late")]
    worker = Worker(
        catalog, transport, adapters, name="gw-test-worker", only=served, drain_seconds=1, store=store
    )
    await worker.start()
    try:
        yield bus
    finally:
        await worker.stop()
        await transport.close()


@dataclass
class Gateway:
    """One gateway replica: its in-process HTTP client and its router."""

    client: httpx.AsyncClient
    router: ServiceRouter


def gateway_app(catalog: Catalog, router: ServiceRouter) -> FastAPI:
    """The routes `create_gateway` serves, plus `/transactions/{id}`, around `router`."""
    app = FastAPI()

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, None)

    app.add_api_route("/r1/{service_path:path}", router, methods=["GET", "POST"], response_class=Response)
    app.include_router(transactions_router(router.access, router.async_calls))
    return app


@asynccontextmanager
async def running_gateway(bus: Bus, backend: Backend, **options: Any) -> AsyncIterator[Gateway]:
    """A gateway replica over `backend`; `options` go to GatewaySettings, except `callback_http`, `sinks`."""
    callback_http = options.pop("callback_http", None)
    sinks = options.pop("sinks", [])
    settings = GatewaySettings(**{"idempotency_poll_seconds": 0.02, "drain_seconds": 5, **options})
    router = ServiceRouter(
        bus.catalog,
        bus.transport,
        sinks,
        1_048_576,
        store=backend.store(),
        rate_limiter=backend.limiter(),
        settings=settings,
        callback_http=callback_http,
    )
    app = gateway_app(bus.catalog, router)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield Gateway(client, router)
    finally:
        await router.drain()
