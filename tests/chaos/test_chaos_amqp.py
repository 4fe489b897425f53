"""Chaos on RabbitMQ + Redis: issue 12's run, scaled down, with issue 14's outages. Two worker processes
share a Redis store with the gateway; one is SIGKILLed and restarted every KILL_EVERY s, every worker
connection is closed by the broker every CUT_EVERY s, and the civil-registry mock fails, hangs and
garbles answers. Every connection of the gateway and the workers to RabbitMQ and to Redis goes through
a fault proxy (the machine's services keep running), which cuts the broker every BROKER_CUT_EVERY s and
Redis every REDIS_CUT_EVERY s, each for OUTAGE_SECONDS. Then every failed request is retried once with
its key (after the faults are cleared, or while they go on), the dead letters are replayed, and every
request is asked once more with its key. Reconciled per request against the registry (the faults
table counts the cuts and the connections they reset); worker logs must show each connection loss as
one WARNING, no ERROR and no traceback.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from pathlib import Path

import aio_pika
import httpx
import pytest

from bus.catalog import Catalog, load_catalog
from bus.dlq.inspect import DeadLetterQueues
from bus.gateway.app import create_gateway
from bus.gateway.idempotency import work_horizon
from bus.reliability.backoff import DELAY_BUCKETS_MS
from bus.store import RedisStore
from bus.transport import AmqpTransport
from bus.transport.amqp_wire import retry_queue_name
from tests.chaos.civil_mock import CivilMock, serving_civil_mock
from tests.chaos.faults import Fault, cut_for
from tests.chaos.run import ChaosStack, assert_exactly_once, run_certificate_chaos
from tests.chaos.worker_process import CONNECTION_PREFIX
from tests.reliability.processes import CLIENT, KEY, delete_queues, wait_for_queue, write_catalog
from tests.store.conftest import delete_prefixed
from tests.support.fault_proxy import FaultProxy, proxy_to

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.amqp, pytest.mark.redis]

PEOPLE = 800
WORKERS = 2
KILL_EVERY = 3.0  # a restarted worker process needs 2-3 s to serve again on a busy machine
CUT_EVERY = 5.0
BROKER_CUT_EVERY = 4.0
REDIS_CUT_EVERY = 4.0
OUTAGE_SECONDS = 0.8


class WorkerFleet:
    """Worker processes: started, SIGKILLed and restarted by the fault schedule."""

    def __init__(self, args: list[str], logs: Path) -> None:
        self.args = args  # AMQP_URL REDIS_URL CATALOG, then the store prefix after the name
        self.logs = logs
        self.processes: list[tuple[str, subprocess.Popen[str]]] = []
        self.started = 0

    def start(self) -> None:
        self.started += 1
        name = f"w{self.started}"
        log = (self.logs / f"worker-{name}.log").open("w")
        argv = [sys.executable, "-m", "tests.chaos.worker_process", *self.args[:3], name, *self.args[3:]]
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True)
        self.processes.append((name, process))

    def ready(self, name: str) -> bool:
        """Whether worker `name` has started serving (its log says so)."""
        return f"worker {name} ready" in (self.logs / f"worker-{name}.log").read_text()

    async def kill_one(self) -> int:
        """SIGKILL the longest-serving worker (the likeliest to hold work) and start another; none while
        no worker serves yet (on a busy machine a restart takes seconds, and killing workers before they
        serve would leave the load without any)."""
        serving = [index for index, (name, _) in enumerate(self.processes) if self.ready(name)]
        if not serving:
            return 0
        _, victim = self.processes.pop(serving[0])
        victim.kill()
        await asyncio.to_thread(victim.wait, 10)
        self.start()
        return 1

    def stop_all(self) -> None:
        for _, process in self.processes:
            process.terminate()
        for _, process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def log_lines(self) -> list[str]:
        return [
            line for path in sorted(self.logs.glob("worker-*.log")) for line in path.read_text().splitlines()
        ]


async def rabbitmqctl(*args: str) -> str:
    done = await asyncio.to_thread(
        subprocess.run, ["rabbitmqctl", *args], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout


async def close_worker_connections() -> int:
    """The broker closes every chaos worker connection (rabbitmqctl close_connection); how many."""
    listing = await rabbitmqctl("list_connections", "-q", "--no-table-headers", "pid", "client_properties")
    pids = [line.split()[0] for line in listing.splitlines() if CONNECTION_PREFIX in line]
    for pid in pids:
        await rabbitmqctl("close_connection", pid, "chaos test")
    return len(pids)


async def ready_messages(amqp_url: str, catalog: Catalog) -> int:
    """Messages ready in the service queue and its retry queues (passive declares: no rabbitmqctl,
    whose Erlang start-up costs a third of a core-second each time)."""
    queue = catalog.services[0].id.queue_name
    total = 0
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        for name in (queue, *(retry_queue_name(queue, bucket) for bucket in DELAY_BUCKETS_MS)):
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                continue  # that delay's retry queue was never needed
            total += declared.declaration_result.message_count or 0
            await channel.close()
    return total


async def settled(amqp_url: str, catalog: Catalog, provider_url: str) -> None:
    """Until no message is ready and the provider saw no new call, 4 looks in a row (a message in a
    worker's hands keeps the provider busy or comes back as ready)."""
    quiet, last_calls = 0, -1
    async with httpx.AsyncClient(base_url=provider_url) as provider:
        for _ in range(240):
            calls = (await provider.get("/_control/faults")).json()["stats"]["requests"]
            quiet = quiet + 1 if calls == last_calls and await ready_messages(amqp_url, catalog) == 0 else 0
            if quiet >= 4:
                return
            last_calls = calls
            await asyncio.sleep(0.5)
    raise AssertionError("the bus did not settle")


@pytest.mark.parametrize("faults_cleared", [True, False], ids=["faults-cleared", "retries-under-faults"])
async def test_chaos_on_rabbitmq_and_redis_every_request_ends_with_exactly_one_effect(
    amqp_url: str, redis_url: str, tmp_path: Path, faults_cleared: bool
) -> None:
    async with (
        serving_civil_mock() as mock,
        proxy_to(amqp_url, 5672) as broker,
        proxy_to(redis_url, 6379) as redis,
    ):
        await run_on_rabbitmq(mock, amqp_url, redis_url, tmp_path, broker, redis, faults_cleared)


async def run_on_rabbitmq(
    mock: CivilMock,
    amqp_url: str,
    redis_url: str,
    logs: Path,
    broker: FaultProxy,
    redis: FaultProxy,
    faults_cleared: bool,
) -> None:
    catalog_path = write_catalog(
        logs,
        {"civil": {"base_url": mock.url}},
        [
            {
                "id": "VN/GOV/HPG/{SUB}/XacNhanTinhTrangHonNhan/v1",
                "adapter": "civil",
                "timeout": 2.0,
                "concurrency": 16,
                "retry": {"max_attempts": 3, "base_delay": 0.1, "max_delay": 0.5},
                "breaker": {"failure_ratio": 0.5, "window": 5, "min_calls": 20, "open_seconds": 1},
            }
        ],
    )
    catalog = load_catalog(catalog_path)
    service = catalog.services[0]
    prefix = f"lgsp-chaos:{secrets.token_hex(4)}:"
    # Every connection of the bus (not the test's own look-ups) goes through the fault proxies.
    bus_amqp, bus_redis = broker.url(amqp_url), redis.url(redis_url)
    fleet = WorkerFleet([bus_amqp, bus_redis, str(catalog_path), prefix], logs)
    gateway_transport = AmqpTransport(bus_amqp, connection_name="lgsp-chaos-gateway", reconnect_interval=0.5)
    store = RedisStore(bus_redis, prefix=prefix)
    try:
        for _ in range(WORKERS):
            fleet.start()
        await wait_for_queue(amqp_url, service.id.queue_name)
        await gateway_transport.connect()
        await store.connect()
        app = create_gateway(catalog, gateway_transport, store=store, manage_transport=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            stack = ChaosStack(
                gateway=client,
                url=f"/r1/{service.id}",
                headers={"X-Road-Client": CLIENT, "X-Api-Key": KEY},
                faults=[
                    Fault("workers_killed", KILL_EVERY, fleet.kill_one, first_after=1.0),
                    Fault("connection_cuts", CUT_EVERY, close_worker_connections, first_after=2.0),
                    Fault("broker_cuts", BROKER_CUT_EVERY, cut_for(broker, OUTAGE_SECONDS), first_after=3.0),
                    Fault("redis_cuts", REDIS_CUT_EVERY, cut_for(redis, OUTAGE_SECONDS), first_after=1.5),
                ],
                settle=lambda: settled(amqp_url, catalog, mock.url),
                dead_letters=DeadLetterQueues(gateway_transport, store, [service.id.queue_name]),
                store=store,
                horizon=work_horizon(service),
            )
            report = await run_certificate_chaos(stack, mock, PEOPLE, faults_cleared=faults_cleared)
    finally:
        fleet.stop_all()
        await gateway_transport.close()
        await store.close()
        await asyncio.wait_for(delete_queues(amqp_url, catalog), 60)
        await asyncio.wait_for(delete_prefixed(redis_url, prefix), 60)
    lines = fleet.log_lines()
    losses = [line for line in lines if "broker connection" in line and "lost" in line]
    errors = [line for line in lines if " ERROR " in line or "Traceback" in line]
    print("\n" + report.text("RabbitMQ + Redis"))
    print(f"worker log: {len(losses)} connection-loss warnings, {len(errors)} ERROR/traceback lines")
    name = "chaos-amqp-" + ("cleared" if faults_cleared else "faulted")
    print(f"report: {report.save(name)}  (worker logs in {logs})")
    assert report.faults["workers_killed_hit"] >= 2 and report.faults["connection_cuts_hit"] >= 1
    assert report.faults["broker_cuts_hit"] >= 1 and report.faults["redis_cuts_hit"] >= 1
    assert {"error", "hang", "malformed"} <= set(report.injected)
    assert_exactly_once(report, PEOPLE)
    assert losses, "a connection cut should be reported as a WARNING"
    assert errors == [], errors[:10]
