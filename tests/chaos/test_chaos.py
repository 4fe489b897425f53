"""Chaos: ≥ 5,000 requests through the gateway while worker processes are SIGKILLed and restarted, their
RabbitMQ connections are closed, and the provider fails 30 % of calls. Then reconcile: every accepted
transaction completed exactly once in effect, or parked in the DLQ with a reason; 0 lost, 0 doubled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
import uvicorn

from bus.catalog import Catalog, load_catalog
from bus.dlq.inspect import DeadLetterQueues
from bus.gateway.app import create_gateway
from bus.gateway.requests import TRANSACTION_HEADER
from bus.store import RedisStore
from bus.transport import AmqpTransport
from tests.chaos.effects_mock import create_effects_mock
from tests.chaos.message_trace import last_seen, slow_publishes, stage_counts
from tests.reliability.processes import CLIENT, KEY, delete_queues, wait_for_queue, write_catalog

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.amqp, pytest.mark.redis]

REQUESTS = 5_000
CONCURRENCY = 48
WORKERS = 3
KILL_EVERY = 5.0
CUT_CONNECTIONS_EVERY = 7.0
SETTLE_SECONDS = 90.0
INTAKE_REFUSALS = {"Server.Bus.Overloaded", "Client.RateLimited"}
REPORTS = Path(__file__).resolve().parents[2] / "reports" / "chaos"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Faults:
    """What the schedule did."""

    counts: Counter[str] = field(default_factory=Counter)


class WorkerFleet:
    """The worker processes: started, SIGKILLed and restarted by the fault schedule."""

    def __init__(self, args: list[str], logs: Path) -> None:
        self.args = args
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.generation = 0

    def start(self, slot: int) -> None:
        self.generation += 1
        name = f"chaos-{slot}-{self.generation}"
        log = (self.logs / f"{name}.log").open("w")
        argv = [sys.executable, "-m", "tests.chaos.worker_process", *self.args[:3], name, *self.args[3:]]
        self.processes[str(slot)] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True)

    def kill(self, slot: int) -> None:
        process = self.processes[str(slot)]
        process.kill()
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def close_worker_connections() -> int:
    """rabbitmqctl close_connection on every chaos worker connection; how many were closed."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "-q", "--no-table-headers", "pid", "client_properties"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    closed = 0
    for line in listing.stdout.splitlines():
        if "lgsp-chaos-worker-" in line:
            pid = line.split()[0]
            subprocess.run(
                ["rabbitmqctl", "close_connection", pid, "chaos test"],
                capture_output=True,
                timeout=30,
                check=False,
            )
            closed += 1
    return closed


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return write_catalog(
        tmp_path,
        {"register": {}},
        [
            {
                "id": "VN/GOV/HPG/{SUB}/DangKyHoSo/v1",
                "adapter": "register",
                "timeout": 1.0,
                "concurrency": 32,
                "max_queue_length": 20_000,
                "retry": {"max_attempts": 6, "base_delay": 0.1, "max_delay": 1.0},
                "breaker": {"failure_ratio": 0.9, "window": 5, "min_calls": 50, "open_seconds": 1},
            }
        ],
    )


async def delete_keys(redis_url: str, prefix: str) -> None:
    """Remove the run's dedupe records, leases and breaker state from the shared Redis."""
    connection = redis.from_url(redis_url)
    try:
        batch = [key async for key in connection.scan_iter(f"{prefix}*", count=1000)]
        for start in range(0, len(batch), 1000):
            await connection.delete(*batch[start : start + 1000])
    finally:
        await connection.aclose()


@pytest.fixture
async def mock_url() -> AsyncIterator[str]:
    port = free_port()
    app = create_effects_mock(ghost_rate=0.05, ghost_seconds=2.0)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the effects mock failed to start"
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 15)


async def send_all(
    client: httpx.AsyncClient, url: str, dossiers: list[str], transactions: dict[str, str]
) -> dict[str, tuple[int, str]]:
    """Every request, CONCURRENCY at a time; the HTTP status and error type (or "") each dossier got.
    The transaction id of each answer goes into `transactions`."""
    gate = asyncio.Semaphore(CONCURRENCY)
    statuses: dict[str, tuple[int, str]] = {}

    async def one(dossier: str) -> None:
        async with gate:
            headers = {"X-Road-Client": CLIENT, "X-Api-Key": KEY, "X-Road-Issue": dossier}
            try:
                response = await client.post(url, json={"dossier": dossier}, headers=headers, timeout=30)
            except httpx.HTTPError as exc:
                statuses[dossier] = (0, type(exc).__name__)
                return
            kind = response.json().get("type", "") if response.status_code >= 400 else ""
            statuses[dossier] = (response.status_code, kind)
            transactions[dossier] = response.headers.get(TRANSACTION_HEADER, "")

    await asyncio.gather(*(one(d) for d in dossiers))
    return statuses


async def fault_schedule(fleet: WorkerFleet, stop: asyncio.Event, faults: Faults) -> None:
    """Kill a random worker every KILL_EVERY s and restart it; cut all worker connections every
    CUT_CONNECTIONS_EVERY s."""
    draw = random.Random(11)
    started = time.monotonic()
    next_kill, next_cut = KILL_EVERY, CUT_CONNECTIONS_EVERY
    while not stop.is_set():
        await asyncio.sleep(0.25)
        elapsed = time.monotonic() - started
        if elapsed >= next_kill:
            slot = draw.randrange(WORKERS)
            await asyncio.to_thread(fleet.kill, slot)
            fleet.start(slot)
            faults.counts["workers_killed"] += 1
            next_kill += KILL_EVERY
        if elapsed >= next_cut:
            faults.counts["connections_closed"] += await asyncio.to_thread(close_worker_connections)
            faults.counts["connection_cuts"] += 1
            next_cut += CUT_CONNECTIONS_EVERY


async def queue_listing(catalog: Catalog) -> dict[str, tuple[int, int, int]]:
    """(messages, ready, unacked) of every queue of the service: its own, its DLQ, its retry queues."""
    listing = await asyncio.to_thread(
        subprocess.run,
        ["rabbitmqctl", "list_queues", "-q", "--no-table-headers",
         "name", "messages", "messages_ready", "messages_unacknowledged"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    queue = catalog.services[0].id.queue_name
    found = {}
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].startswith(queue):
            found[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
    return found


async def queue_depths(catalog: Catalog) -> int:
    """Messages still waiting in the service queue and its retry queues (ready + unacked)."""
    listing = await queue_listing(catalog)
    return sum(n for name, (n, _, _) in listing.items() if not name.endswith(".dlq"))


def trace_gateway_transport(path: Path) -> logging.Handler:
    """Write the gateway transport's trace lines (publish confirmed or not, per message) to `path`."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    traced = logging.getLogger("bus.transport.amqp")
    traced.setLevel(logging.DEBUG)
    traced.addHandler(handler)
    return handler


async def settled_effects(mock: httpx.AsyncClient, catalog: Catalog) -> dict[str, Any]:
    """The mock's effects once the work that outlived its callers is done: queues empty and no new
    provider call for a few seconds in a row (messages between a retry queue and the service queue,
    or in a worker's hands, show in neither count alone)."""
    quiet, last_calls = 0, -1
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        effects: dict[str, Any] = (await mock.get("/_control/effects")).json()
        depth = await queue_depths(catalog)
        quiet = quiet + 1 if depth == 0 and effects["calls"] == last_calls else 0
        last_calls = effects["calls"]
        if quiet >= 5:
            return effects
    raise AssertionError(f"work did not settle within {SETTLE_SECONDS} s")


async def test_chaos_every_accepted_transaction_completes_once_or_is_parked(
    amqp_url: str, redis_url: str, catalog_path: Path, mock_url: str, tmp_path: Path
) -> None:
    catalog = load_catalog(catalog_path)
    service = catalog.services[0]
    prefix = f"lgsp-chaos:{secrets.token_hex(4)}:"
    fleet = WorkerFleet([amqp_url, redis_url, str(catalog_path), mock_url, prefix], tmp_path)
    gateway_transport = AmqpTransport(amqp_url, connection_name="lgsp-chaos-gateway")
    faults = Faults()
    run = secrets.token_hex(3).upper()
    dossiers = [f"HS-{run}-{n:05d}" for n in range(REQUESTS)]
    transactions: dict[str, str] = {}
    gateway_log = trace_gateway_transport(tmp_path / "gateway.log")
    started = time.monotonic()
    try:
        for slot in range(WORKERS):
            fleet.start(slot)
        await wait_for_queue(amqp_url, service.id.queue_name)
        await gateway_transport.connect()
        app = create_gateway(catalog, gateway_transport, manage_transport=False)
        async with (
            httpx.AsyncClient(base_url=mock_url) as mock,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
        ):
            patched = await mock.patch(
                "/_control/faults",
                json={"error_rate": 0.2, "error_status": 503, "timeout_rate": 0.1, "hang_seconds": 2.0},
            )
            assert patched.status_code == 200, patched.text
            stop = asyncio.Event()
            schedule = asyncio.create_task(fault_schedule(fleet, stop, faults))
            statuses = await send_all(client, f"/r1/{service.id}", dossiers, transactions)
            load_seconds = time.monotonic() - started
            stop.set()
            await schedule
            injected = (await mock.get("/_control/faults")).json()["stats"]
            await mock.post("/_control/faults/reset")
            effects = await settled_effects(mock, catalog)
        leftovers = await queue_listing(catalog)
        store = RedisStore(redis_url, prefix=prefix)
        await store.connect()
        parked = await DeadLetterQueues(gateway_transport, store, [service.id.queue_name]).letters(
            limit=REQUESTS
        )
        await store.close()
    finally:
        fleet.stop_all()
        logging.getLogger("bus.transport.amqp").removeHandler(gateway_log)
        gateway_log.close()
        await gateway_transport.close()
        await asyncio.wait_for(delete_queues(amqp_url, catalog), 60)
        await asyncio.wait_for(delete_keys(redis_url, prefix), 60)

    created: dict[str, int] = effects["effects"]
    parked_reasons = {letter.issue: letter.reason for letter in parked}
    # Refused at intake (publish refused by a full queue, or a rate limit): never accepted, never ran.
    refused = {d for d, (_, kind) in statuses.items() if kind in INTAKE_REFUSALS}
    accepted = [d for d in dossiers if d not in refused]
    completed = [d for d in accepted if created.get(d, 0) == 1]
    doubled = [d for d in accepted if created.get(d, 0) > 1]
    parked_only = [d for d in accepted if d not in created and d in parked_reasons]
    lost = [d for d in accepted if d not in created and d not in parked_reasons]
    ok_without_effect = [d for d, (status, _) in statuses.items() if status == 200 and created.get(d, 0) != 1]
    table = {
        "requests": REQUESTS,
        "accepted": len(accepted),
        "refused_at_intake": len(refused),
        "answered_200": sum(1 for status, _ in statuses.values() if status == 200),
        "answered_error": sum(1 for status, _ in statuses.values() if status >= 400),
        "completed_once_in_effect": len(completed),
        "parked_in_dlq": len(parked_only),
        "parked_but_effected": sum(1 for d in completed if d in parked_reasons),
        "dlq_reasons": dict(Counter(parked_reasons.values())),
        "lost": len(lost),
        "doubled": len(doubled),
        "ok_without_effect": len(ok_without_effect),
        "provider_calls": effects["calls"],
        "provider_repeats_absorbed": effects["repeats"],
        "ghost_effects": effects["ghosts"],
    }
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reconciliation": table,
        "statuses": dict(Counter(f"{status} {kind}".strip() for status, kind in statuses.values())),
        "faults": {**faults.counts, "mock_injected": injected},
        "queues_at_end": {
            name.removeprefix(service.id.queue_name) or "service": {"messages": n, "ready": r, "unacked": u}
            for name, (n, r, u) in leftovers.items()
        },
        "lost_last_seen": stage_counts(await asyncio.to_thread(last_seen, lost, transactions, tmp_path)),
        "gateway_publishes_unconfirmed": await asyncio.to_thread(slow_publishes, tmp_path),
        "logs": str(tmp_path),
        "load_seconds": round(load_seconds, 1),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"chaos-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json").write_text(json.dumps(report, indent=2))
    print("\nchaos reconciliation\n" + "\n".join(f"  {k:<28} {v}" for k, v in table.items()))
    print("faults\n" + "\n".join(f"  {k:<28} {v}" for k, v in report["faults"].items()))
    print("queues at end (messages ready unacked)")
    for name, depth in sorted(report["queues_at_end"].items()):
        print(f"  {name:<28} {depth['messages']:>5} {depth['ready']:>5} {depth['unacked']:>5}")
    print(f"gateway publishes unconfirmed at the request deadline {report['gateway_publishes_unconfirmed']}")
    print(f"lost, by where last seen {report['lost_last_seen']}  (logs in {tmp_path})")
    print(
        f"statuses {report['statuses']}  load {report['load_seconds']} s  total {report['total_seconds']} s"
    )

    assert faults.counts["workers_killed"] >= 2 and faults.counts["connections_closed"] >= 1
    assert injected.get("error", 0) > 0 and injected.get("hang", 0) > 0
    assert lost == [], f"{len(lost)} lost, e.g. {lost[:5]}; last seen: {report['lost_last_seen']}"
    assert doubled == [], f"{len(doubled)} doubled, e.g. {doubled[:5]}"
    assert ok_without_effect == []
    assert len(completed) + len(parked_only) == len(accepted)
