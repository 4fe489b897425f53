"""`lgsp gateway --processes N`: several processes on one port, state shared through Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from bus.catalog import hash_api_key
from bus.identifiers import ServiceId
from lgsp.cli import app
from lgsp.process_group import NeedsSharedState, require_shared_state
from loadtests.bench.cpu import child_pids
from loadtests.bench.runner import delete_isolated_queues
from loadtests.stack import (
    DEFAULT_CATALOG,
    Stack,
    StackPlan,
    free_port,
    lgsp_command,
    rewrite_catalog,
    wait_for_consumers,
)

KEY = "processes-test-key"


def test_more_than_one_process_needs_both_broker_and_redis() -> None:
    require_shared_state(1, None, None)  # one process keeps the memory transport and store
    require_shared_state(2, "amqp://127.0.0.1/", "redis://127.0.0.1/0")
    with pytest.raises(NeedsSharedState, match="--amqp-url and --redis-url"):
        require_shared_state(2, None, None)
    with pytest.raises(NeedsSharedState, match="needs --redis-url"):
        require_shared_state(3, "amqp://127.0.0.1/", None)


@pytest.mark.parametrize("command", ["gateway", "run"])
def test_processes_without_redis_is_refused_before_anything_starts(command: str) -> None:
    result = CliRunner().invoke(
        app, [command, "--processes", "2", "--amqp-url", "amqp://127.0.0.1/", "--port", "1"]
    )
    assert result.exit_code == 2
    assert "needs --redis-url" in result.output


def _catalog(folder: Path, client: str, tag: str) -> Path:
    """The default catalog plus a client with a small quota, unique to this run."""
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["clients"].append(
        {
            "id": client,
            "name": "processes test",
            "groups": ["province"],
            "api_key_sha256": [hash_api_key(KEY)],
            "rate_limit_per_second": 0.2,
            "rate_limit_burst": 4,
        }
    )
    path = folder / f"catalog-{tag}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_gateways(
    tmp_path_factory: pytest.TempPathFactory, amqp_url: str, redis_url: str
) -> Iterator[tuple[Stack, str, str]]:
    tag = uuid.uuid4().hex[:8].upper()
    client = f"VN/GOV/HPG/PROC{tag}"
    folder = tmp_path_factory.mktemp("processes")
    plan = StackPlan(
        folder, amqp_url=amqp_url, redis_url=redis_url, isolate=tag, mocks=False, gateway_processes=2,
        catalog=_catalog(folder, client, tag),
    )  # fmt: skip
    stack = plan.start(ready_timeout=60)
    try:
        yield stack, client, f"VN/GOV/HPG/LGSP{tag}/Echo/v1"
    finally:
        stack.stop()
        asyncio.run(delete_isolated_queues(amqp_url, tag))


def _one_client_per_process(url: str, processes: int) -> dict[int, httpx.Client]:
    """Keep-alive clients, one pinned to each gateway process (a connection stays with its process)."""
    pinned: dict[int, httpx.Client] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        client = httpx.Client(base_url=url, timeout=10)
        try:
            pid = client.get("/health").json()["pid"]
        except httpx.TransportError:  # still starting
            client.close()
            time.sleep(0.3)
            continue
        if pid in pinned:
            client.close()
        else:
            pinned[pid] = client
        if len(pinned) == processes:
            return pinned
    raise AssertionError(f"only {len(pinned)} of {processes} processes answered /health")


@pytest.mark.slow
def test_two_gateway_processes_share_the_port_quotas_and_idempotency(
    two_gateways: tuple[Stack, str, str],
) -> None:
    stack, client_id, echo = two_gateways
    pinned = _one_client_per_process(stack.gateway_url, 2)
    members = {pid for name, pid in stack.pids().items() if name.startswith("gateway.")}
    assert set(pinned) == members and len(members) == 2
    headers = {"X-Road-Client": client_id, "X-Api-Key": KEY}
    clients = list(pinned.values())
    try:
        # Idempotency: the second process replays the answer the first one stored in Redis.
        first = clients[0].post(f"/r1/{echo}", json={"n": 1}, headers=headers | {"Idempotency-Key": "k1"})
        again = clients[1].post(f"/r1/{echo}", json={"n": 1}, headers=headers | {"Idempotency-Key": "k1"})
        assert first.status_code == 200, first.text
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
        # Quota (burst 4, 0.2/s), the two calls above took a token each (the replay too): one shared
        # bucket leaves 2, while a bucket per process would let 6 of these 10 through.
        statuses = [
            clients[i % 2].post(f"/r1/{echo}", json={"i": i}, headers=headers).status_code for i in range(10)
        ]
        assert statuses.count(200) in (2, 3), statuses  # at most one token refilled meanwhile
        assert statuses.count(429) == 10 - statuses.count(200)
    finally:
        for each in clients:
            each.close()
    gateway = stack.processes["gateway"]
    stack.stop()
    assert gateway.returncode == 0
    assert not [pid for pid in members if Path(f"/proc/{pid}").exists()], "a member outlived the group"


@pytest.mark.slow
def test_run_with_two_processes_serves_calls_from_both_and_stops_cleanly(
    tmp_path: Path, amqp_url: str, redis_url: str
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    catalog = tmp_path / "catalog.yaml"
    rewrite_catalog(DEFAULT_CATALOG, catalog, isolate=tag)
    port = free_port()
    env = {**os.environ, "LGSP_AMQP_URL": amqp_url, "LGSP_REDIS_URL": redis_url}
    args = ["run", "--processes", "2", "--no-mocks", "--port", str(port), "--catalog", str(catalog)]
    with (tmp_path / "run.log").open("wb") as log:
        group = subprocess.Popen([*lgsp_command(), *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        stack = Stack(gateway_url=f"http://127.0.0.1:{port}", processes={"run": group})
        try:
            pinned = _one_client_per_process(stack.gateway_url, 2)
            members = set(child_pids(group.pid))
            assert set(pinned) == members
            echo = f"/r1/VN/GOV/HPG/LGSP{tag}/Echo/v1"
            queue = ServiceId.parse(echo.removeprefix("/r1/")).queue_name
            asyncio.run(wait_for_consumers(amqp_url, [queue], 2, 30))  # a worker in each process
            headers = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key"}
            for client in pinned.values():
                answer = client.post(echo, json={"hello": "bus"}, headers=headers)
                assert answer.status_code == 200, answer.text
                client.close()
        finally:
            stack.stop()
            asyncio.run(delete_isolated_queues(amqp_url, tag))
    assert group.returncode == 0, (tmp_path / "run.log").read_text()[-2000:]
    assert not [pid for pid in members if Path(f"/proc/{pid}").exists()]
