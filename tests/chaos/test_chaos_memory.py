"""Chaos on the embedded stack (memory transport, memory store): issue 12's run, scaled down. Workers are
killed mid-work every KILL_EVERY s (their unacked deliveries go back, their work leases are left behind)
while the civil-registry mock fails, hangs and garbles answers; then every failed request is retried
once with its key (after the faults are cleared, or while they go on), the dead letters are replayed,
and every request is asked once more with its key. Reconciled per request against the registry. (The
memory transport has no connections to cut: a kill closes the worker's transport.)
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from adapters.civil.adapter import CivilAdapter, create_adapter
from bus.catalog import Catalog, hash_api_key
from bus.dlq.inspect import DeadLetterQueues
from bus.gateway.app import create_gateway
from bus.gateway.idempotency import work_horizon
from bus.store import MemoryStore
from bus.transport import MemoryBroker, MemoryTransport
from bus.worker import Worker
from tests.chaos.civil_mock import CivilMock, serving_civil_mock
from tests.chaos.faults import Fault
from tests.chaos.run import ChaosStack, assert_exactly_once, run_certificate_chaos

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

PEOPLE = 600
WORKERS = 2
KILL_EVERY = 1.0
CLIENT = "VN/GOV/HPG/STP"
KEY = "chaos-memory-key"


def chaos_catalog(mock_url: str) -> Catalog:
    """The marital-status certificate service on the civil adapter, with short time-outs and retries."""
    subsystem = "CHAOS" + secrets.token_hex(3).upper()
    return Catalog.model_validate(
        {
            "adapters": {"civil": {"base_url": mock_url}},
            "clients": [{"id": CLIENT, "api_key_sha256": [hash_api_key(KEY)]}],
            "services": [
                {
                    "id": f"VN/GOV/HPG/{subsystem}/XacNhanTinhTrangHonNhan/v1",
                    "adapter": "civil",
                    "timeout": 2.0,
                    "concurrency": 16,
                    "retry": {"max_attempts": 3, "base_delay": 0.1, "max_delay": 0.5},
                    "breaker": {"failure_ratio": 0.5, "window": 5, "min_calls": 20, "open_seconds": 1},
                    "allow": [CLIENT],
                }
            ],
        }
    )


class MemoryFleet:
    """In-process workers on one broker and one store; a kill closes a worker's transport mid-work."""

    def __init__(self, catalog: Catalog, broker: MemoryBroker, store: MemoryStore, mock_url: str) -> None:
        self.catalog = catalog
        self.broker = broker
        self.store = store
        self.mock_url = mock_url
        self.workers: list[tuple[Worker, CivilAdapter]] = []
        self.started = 0

    async def start(self) -> None:
        self.started += 1
        adapter = create_adapter({"base_url": self.mock_url})
        worker = Worker(
            self.catalog,
            MemoryTransport(self.broker),
            {"civil": adapter},
            name=f"mem-{self.started}",
            store=self.store,
        )
        await worker.start()
        self.workers.append((worker, adapter))

    async def kill_one(self) -> int:
        """Like SIGKILL: the running handlers are cancelled where they stand, nothing is released."""
        victim, adapter = self.workers.pop(0)
        await victim.transport.close()
        await adapter.close()
        await self.start()
        return 1

    async def stop(self) -> None:
        for worker, _ in self.workers:
            await worker.stop()
            await worker.transport.close()

    def busy(self) -> bool:
        queue = self.catalog.services[0].id.queue_name
        in_hands = sum(len(worker._in_flight) for worker, _ in self.workers)
        return bool(self.broker.depth(queue) or self.broker.delayed or in_hands)


async def settled(fleet: MemoryFleet) -> None:
    """Until nothing waits in the queue, on a delay timer or in a worker's hands, 5 looks in a row."""
    quiet = 0
    for _ in range(600):
        quiet = 0 if fleet.busy() else quiet + 1
        if quiet >= 5:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bus did not settle within 60 s")


@pytest.mark.parametrize("faults_cleared", [True, False], ids=["faults-cleared", "retries-under-faults"])
async def test_chaos_on_memory_every_request_ends_with_exactly_one_effect(faults_cleared: bool) -> None:
    async with serving_civil_mock() as mock:
        await run_on_memory(mock, faults_cleared)


async def run_on_memory(mock: CivilMock, faults_cleared: bool) -> None:
    catalog = chaos_catalog(mock.url)
    service = catalog.services[0]
    broker, store = MemoryBroker(), MemoryStore()
    fleet = MemoryFleet(catalog, broker, store, mock.url)
    for _ in range(WORKERS):
        await fleet.start()
    gateway_transport = MemoryTransport(broker)
    await gateway_transport.connect()
    app = create_gateway(catalog, gateway_transport, store=store, manage_transport=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            stack = ChaosStack(
                gateway=client,
                url=f"/r1/{service.id}",
                headers={"X-Road-Client": CLIENT, "X-Api-Key": KEY},
                faults=[Fault("workers_killed", KILL_EVERY, fleet.kill_one, first_after=0.5)],
                settle=lambda: settled(fleet),
                dead_letters=DeadLetterQueues(gateway_transport, store, [service.id.queue_name]),
                store=store,
                horizon=work_horizon(service),
            )
            report = await run_certificate_chaos(stack, mock, PEOPLE, faults_cleared=faults_cleared)
    finally:
        await fleet.stop()
        await gateway_transport.close()
    print("\n" + report.text("memory transport + memory store"))
    print(f"report: {report.save('chaos-memory-' + ('cleared' if faults_cleared else 'faulted'))}")
    assert report.faults["workers_killed"] >= 2
    assert {"error", "hang", "malformed"} <= set(report.injected)
    assert_exactly_once(report, PEOPLE)
