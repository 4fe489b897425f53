"""The gateway tests' bus (a worker with counting adapters) and their backends: memory and Redis.

Every gateway test runs on the memory store and on Redis (db 15, unique prefix, cleaned up); gateways
come from `tests.in_process_stack.running_gateway`, several per test where replicas share state.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import JsonValue

from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.errors import ProviderError, ProviderRejected
from tests.in_process_stack import Backend, Bus, running_bus

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
                # A short work horizon (0.3 + 0.2 + 0.3 s): for the tests of a 202 past its horizon.
                {
                    "id": f"{base}/Brief/v1",
                    "adapter": "count",
                    "timeout": 0.3,
                    "retry": {"base_delay": 0.1, "max_delay": 0.2},
                    "allow": everyone,
                },
            ],
        }
    )


@dataclass
class CountedBus(Bus):
    """The bus of the gateway tests, with the adapters whose calls they count."""

    count: CountingAdapter
    slow: CountingAdapter
    quota: CountingAdapter
    failing: CountingAdapter
    rejecting: CountingAdapter


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    shared = Backend(request.param, url)
    try:
        yield shared
    finally:
        await shared.close()


@pytest.fixture
async def bus(backend: Backend) -> AsyncIterator[CountedBus]:
    """A worker on the memory transport serving the gateway catalog, its store shared with the
    gateways as in production; the Unserved and Late services have none."""
    subsystem = "G" + secrets.token_hex(4).upper()
    count, slow, quota = CountingAdapter(0.2), CountingAdapter(0.4), CountingAdapter()
    failing, rejecting = CountingAdapter(fail=True), CountingAdapter(reject=True)
    adapters = {"count": count, "slow": slow, "quota": quota, "failing": failing, "rejecting": rejecting}
    catalog = gateway_catalog(subsystem)
    async with running_bus(
        catalog,
        adapters,
        subsystem=subsystem,
        unserved=["Unserved", "Late"],
        worker_name="gw-test-worker",
        store=backend.store(),
    ) as running:
        yield CountedBus(
            running.catalog, running.transport, running.subsystem, count, slow, quota, failing, rejecting
        )
