"""Failover benchmark (not a CI test): load through the bus on the 3-node cluster, one node stopped mid-load.

    python -m loadtests.cluster.failover_bench --seconds 30 --stop-after 10 --node 1

Starts the cluster of rabbit_cluster (nodes on 5701-5703, never the machine's broker on 5672) unless it
already runs, then a worker and a gateway in this process, each on its own connection given all three
node URLs (both reach node 1 first, so stopping node 1 forces both to fail over, and the quorum queue
it leads elects a new leader). `--concurrency` callers post calls with unique payloads for `--seconds`;
after `--stop-after` seconds node `--node` is stopped (rabbitmqctl stop; `--crash`: SIGKILL). Then it
reports the calls' answers, the provider's executions, transactions lost and doubled (goal 0 each) and
the pause (see reconcile). Calls answered 202 are followed to their outcome. The cluster is stopped at
the end unless `--keep-cluster`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import JsonValue

from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.gateway.app import create_gateway
from bus.gateway.settings import GatewaySettings
from bus.transport import AmqpTransport
from bus.worker import Worker
from loadtests.cluster.rabbit_cluster import (
    DEFAULT_BASE,
    NODES,
    ClusterLayout,
    kill_node,
    port_taken,
    start_cluster,
    start_node,
    stop_node,
)
from loadtests.cluster.reconcile import Call, Reconciliation, reconcile

API_KEY = "failover-bench-" + secrets.token_hex(8)
CLIENT = "VN/GOV/HPG/BENCH"
HEADERS = {"X-Road-Client": CLIENT, "X-Api-Key": API_KEY}
PROVIDER_SECONDS = 0.01  # what the provider takes per call
SERVICE_TIMEOUT = 30  # seconds: a call waits out the node's loss and the queue's leader election
FOLLOW_SECONDS = 60


class RecordingProvider:
    """The provider behind the bus: records the key of every execution."""

    def __init__(self) -> None:
        self.executions: list[str] = []
        self.running = 0

    async def handle(self, request: Envelope) -> JsonValue:
        """Record and answer."""
        self.running += 1
        try:
            self.executions.append(json.dumps(request.payload, sort_keys=True))
            await asyncio.sleep(PROVIDER_SECONDS)
            return {"done": request.payload}
        finally:
            self.running -= 1


def bench_catalog(subsystem: str) -> Catalog:
    """One client and one service, served by the recording provider."""
    return Catalog.model_validate(
        {
            "adapters": {"recording": {}},
            "clients": [{"id": CLIENT, "groups": ["bench"], "api_key_sha256": [hash_api_key(API_KEY)]}],
            "services": [
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Record/v1",
                    "adapter": "recording",
                    "timeout": SERVICE_TIMEOUT,
                    "concurrency": 64,
                    "allow": ["group:bench"],
                }
            ],
        }
    )


async def _caller(client: httpx.AsyncClient, path: str, name: int, until: float, calls: list[Call]) -> None:
    """Post calls one after the other until `until`; a 202 is followed to its outcome before the next."""
    sequence = 0
    while time.monotonic() < until:
        payload = {"caller": name, "n": sequence}
        sequence += 1
        try:
            answer = await client.post(path, json=payload, headers=HEADERS)
            status = answer.status_code
        except httpx.HTTPError:
            status = 0  # no answer at all
        ended = time.monotonic()
        key = json.dumps(payload, sort_keys=True)
        if status == 202:
            calls.append(Call(key, ended, await _outcome(client, answer.headers["location"]), followed=True))
        else:
            calls.append(Call(key, ended, status))


async def _outcome(client: httpx.AsyncClient, location: str) -> int:
    """The final status of a call answered 202, once its outcome is known (0 if never)."""
    deadline = time.monotonic() + FOLLOW_SECONDS
    while time.monotonic() < deadline:
        state: dict[str, Any] = (await client.get(location, headers=HEADERS)).json()
        if state.get("state") == "done":
            return int(state["status"])
        await asyncio.sleep(0.5)
    return 0


async def _settled(provider: RecordingProvider, within: float = 60) -> None:
    """Wait until the provider's executions stopped growing (a redelivered request may still run)."""
    for _ in range(int(within)):
        seen = len(provider.executions)
        await asyncio.sleep(1)
        if len(provider.executions) == seen and not provider.running:
            return


async def run(
    layout: ClusterLayout, seconds: float, stop_after: float, node: int, concurrency: int, crash: bool
) -> Reconciliation:
    """Drive the load, stop (or crash) `node` after `stop_after` s, and reconcile."""
    urls = ",".join(layout.url(i) for i in range(1, NODES + 1))
    subsystem = "FO" + secrets.token_hex(3).upper()
    catalog = bench_catalog(subsystem)
    provider = RecordingProvider()
    worker_transport = AmqpTransport(urls, connection_name=f"failover-worker-{subsystem}")
    gateway_transport = AmqpTransport(urls, connection_name=f"failover-gateway-{subsystem}")
    worker = Worker(catalog, worker_transport, {"recording": provider}, name="failover-worker")
    app = create_gateway(
        catalog, gateway_transport, gateway_settings=GatewaySettings(), manage_transport=False
    )
    calls: list[Call] = []
    await worker.start()
    await gateway_transport.connect()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=SERVICE_TIMEOUT + 30
        ) as client:
            path = f"/r1/VN/GOV/HPG/{subsystem}/Record/v1"
            began = time.monotonic()
            callers = [
                asyncio.ensure_future(_caller(client, path, i, began + seconds, calls))
                for i in range(concurrency)
            ]
            await asyncio.sleep(stop_after)
            stopped_at = time.monotonic()
            await asyncio.to_thread(kill_node if crash else stop_node, layout, node)
            how = "killed (SIGKILL)" if crash else "stopped (rabbitmqctl stop)"
            typer.echo(f"node {node} {how}, down {time.monotonic() - stopped_at:.1f} s after the order")
            await asyncio.gather(*callers)
            ended_at = time.monotonic()
        await _settled(provider)
    finally:
        await worker.stop()
        await worker_transport.close()
        await gateway_transport.close()
    answered = [c.ended for c in calls if c.status == 200 and not c.followed]
    before = sum(1 for t in answered if t < stopped_at) / (stopped_at - began)
    after = sum(1 for t in answered if t >= stopped_at) / (ended_at - stopped_at)
    typer.echo(f"answered 200 per second: {before:.1f} before the stop, {after:.1f} from the stop on")
    return reconcile(calls, provider.executions, stopped_at, ended_at)


cli = typer.Typer(help=__doc__, add_completion=False)


@cli.command()
def main(
    seconds: Annotated[float, typer.Option(min=5, help="how long the load runs")] = 30,
    stop_after: Annotated[float, typer.Option(min=1, help="seconds of load before the node is stopped")] = 10,
    node: Annotated[int, typer.Option(min=1, max=NODES, help="the node to stop")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="callers posting one call after another")] = 16,
    base: Annotated[Path, typer.Option(help="the cluster's folder")] = DEFAULT_BASE,
    first_port: Annotated[int, typer.Option(help="AMQP port of node 1")] = 5701,
    crash: Annotated[bool, typer.Option(help="SIGKILL the node instead of a clean stop")] = False,
    keep_cluster: Annotated[bool, typer.Option(help="leave the cluster running afterwards")] = False,
    out: Annotated[Path | None, typer.Option(help="also write the figures here (JSON)")] = None,
) -> None:
    """Run the failover benchmark and print its figures."""
    if stop_after >= seconds:
        raise typer.BadParameter("--stop-after must be shorter than --seconds")
    layout = ClusterLayout(base, first_port)
    stopped = [index for index in range(1, NODES + 1) if not port_taken(layout.port(index))]
    if len(stopped) == NODES:
        start_cluster(layout)
    for index in stopped if len(stopped) < NODES else ():
        start_node(layout, index)  # left stopped by an earlier run (--keep-cluster): it rejoins
    try:
        figures = asyncio.run(run(layout, seconds, stop_after, node, concurrency, crash))
    finally:
        if not keep_cluster:
            for index in range(NODES, 0, -1):
                if port_taken(layout.port(index)):
                    stop_node(layout, index)
    for line in figures.lines():
        typer.echo(line)
    if out is not None:
        out.write_text(json.dumps(dataclasses.asdict(figures), indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    cli()
