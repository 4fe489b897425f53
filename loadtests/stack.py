"""Start an LGSP stack as subprocesses on free ports, for load tests and benchmarks; stop it cleanly.

The mocks run as `lgsp mock NAME --port P` and the catalog is copied with each adapter's `base_url`
pointed at them, so a run never collides with another `lgsp run` on the default ports (8000, 8101-8110).
On RabbitMQ the services are renamed into a subsystem of their own (`isolate`) so their queues are not
shared with other buses on the same broker.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import aio_pika
import httpx
import yaml

from bus.broker_urls import split_amqp_urls
from bus.identifiers import ServiceId
from bus.transport.amqp_failover import connect_failover
from loadtests.bench.cpu import child_pids
from services.registry import MOCKS

# the composition root's packaged catalog, by path: load tests drive the stack from outside
DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "lgsp" / "default_catalog.yaml"


LOWEST_LISTEN_PORT = 20000
# Ports this process has handed out: a stack picks all its ports before its servers bind them, so a
# probe alone could give one port twice (to a mock and to the gateway, or to two stacks in a row).
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port nobody listens on right now and never handed out before by this process, drawn below
    the kernel's ephemeral range: a port the kernel hands out (bind to 0) can be taken by an outgoing
    connection between this pick and the server's own bind (seen in CI: a mock exited with 'address
    already in use')."""
    highest = max(_ephemeral_start(), LOWEST_LISTEN_PORT + 1)
    for _ in range(1000):
        port = random.randrange(LOWEST_LISTEN_PORT, highest)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free TCP port between {LOWEST_LISTEN_PORT} and {highest}")


def _ephemeral_start() -> int:
    """The first port of the kernel's range for outgoing connections (32768 when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def lgsp_command() -> list[str]:
    """How to run `lgsp` with this interpreter (the venv's console script when present)."""
    script = Path(sys.executable).with_name("lgsp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lgsp.cli"]


def rewrite_catalog(source: Path, target: Path, *, isolate: str | None = None) -> dict[str, int]:
    """Copy a catalog with every mock URL moved to a free port; returns mock name → new port."""
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    by_port = {spec.port: name for name, spec in MOCKS.items()}
    ports: dict[str, int] = {}
    for config in (data.get("adapters") or {}).values():
        url = (config or {}).get("base_url")
        mock = by_port.get(urlparse(url).port or 0) if url else None
        if mock is not None:
            ports.setdefault(mock, free_port())
            config["base_url"] = f"http://127.0.0.1:{ports[mock]}"
    if isolate:
        for service in data.get("services", []):
            parts = service["id"].split("/")
            parts[3] = f"{parts[3]}{isolate}"
            service["id"] = "/".join(parts)
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ports


@dataclass
class Stack:
    """The processes of a running stack, by name, and where its gateway listens."""

    gateway_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    mock_ports: dict[str, int] = field(default_factory=dict)  # by mock name
    logs: list[IO[bytes]] = field(default_factory=list)

    def mock_url(self, name: str) -> str | None:
        """Where this stack's mock `name` listens, or None when it runs none."""
        port = self.mock_ports.get(name)
        return None if port is None else f"http://127.0.0.1:{port}"

    def pids(self) -> dict[str, int]:
        """Process ids by component name, with the members a process group started (`gateway.1`, …)."""
        found = {}
        for name, process in self.processes.items():
            found[name] = process.pid
            for index, child in enumerate(child_pids(process.pid), start=1):
                found[f"{name}.{index}"] = child
        return found

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT every process (graceful drain), then kill what is still alive after `timeout`."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for log in self.logs:
            log.close()


@dataclass
class StackPlan:
    """What to start: transport, worker processes, latency, catalog, where to keep logs."""

    workdir: Path
    amqp_url: str | None = None
    worker_processes: int = 1
    latency: bool = False
    catalog: Path = DEFAULT_CATALOG
    isolate: str | None = None
    mocks: bool = True
    redis_url: str | None = None
    gateway_processes: int = 1  # > 1: `lgsp gateway --processes N` (needs amqp_url and redis_url)
    # The mocks inside `lgsp run` (memory only): their clocks follow the bus's simulated one, so
    # journeys waiting on them end; callbacks (PayGov's confirmations) reach this gateway.
    embedded_mocks: bool = False
    env: dict[str, str] = field(default_factory=dict)  # more LGSP_ settings for the started processes

    def start(self, ready_timeout: float = 60.0) -> Stack:
        """Start mocks, workers and gateway; return once the gateway answers /health and mocks listen."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        catalog = self.workdir / "catalog.yaml"
        ports = rewrite_catalog(self.catalog, catalog, isolate=self.isolate)
        gateway_port = free_port()
        stack = Stack(gateway_url=f"http://127.0.0.1:{gateway_port}", mock_ports=ports)
        latency = "--latency" if self.latency else "--no-latency"
        if self.embedded_mocks:
            if self.amqp_url is not None:
                raise ValueError("mocks run inside `lgsp run` only on the memory transport")
            for name in MOCKS:  # `lgsp run` serves every mock: none may take its default port
                ports.setdefault(name, free_port())
        try:
            if self.mocks and not self.embedded_mocks:
                for name, port in ports.items():
                    # Mocks that put their own address in answers (PayGov's UrlThanhToan) must know the port.
                    public = {f"LGSP_{name.upper()}_PUBLIC_URL": f"http://127.0.0.1:{port}"}
                    # Callbacks and pushes (PayGov's confirmations, VNPost's webhooks) reach this stack's
                    # gateway, not whatever listens on the default port.
                    args = ["mock", name, "--port", str(port), latency, "--gateway-url", stack.gateway_url]
                    self._spawn(stack, f"mock-{name}", args, public)
                    _wait_port(port, ready_timeout, stack.processes[f"mock-{name}"])
            if self.amqp_url is None:
                inside = [f"--mock-port={name}={port}" for name, port in ports.items()]
                mocks = [latency, *inside] if self.embedded_mocks else ["--no-mocks"]
                self._spawn(
                    stack,
                    "run",
                    ["run", *mocks, "--port", str(gateway_port), "--catalog", str(catalog)],
                    {"LGSP_REDIS_URL": self.redis_url} if self.redis_url else None,
                )
                for port in ports.values() if self.embedded_mocks else ():
                    _wait_port(port, ready_timeout, stack.processes["run"])
            else:
                shared = {"LGSP_REDIS_URL": self.redis_url} if self.redis_url else None
                for index in range(self.worker_processes):
                    self._spawn(
                        stack,
                        f"worker-{index + 1}",
                        [
                            "worker",
                            "--amqp-url",
                            self.amqp_url,
                            "--catalog",
                            str(catalog),
                            "--name",
                            f"bench-w{index + 1}",
                        ],
                        shared,
                    )
                self._spawn(
                    stack,
                    "gateway",
                    [
                        "gateway",
                        "--amqp-url",
                        self.amqp_url,
                        "--catalog",
                        str(catalog),
                        "--port",
                        str(gateway_port),
                        "--processes",
                        str(self.gateway_processes),
                    ],
                    shared,
                )
            _wait_health(stack, ready_timeout, self.gateway_processes)
            if self.amqp_url is not None:
                queues = [ServiceId.parse(sid).queue_name for sid in _service_ids(catalog)]
                asyncio.run(wait_for_consumers(self.amqp_url, queues, self.worker_processes, ready_timeout))
        except BaseException:
            stack.stop()
            raise
        return stack

    def _spawn(
        self, stack: Stack, name: str, args: list[str], settings: dict[str, str] | None = None
    ) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        stack.logs.append(log)
        # The child inherits this environment plus its own LGSP_ settings (read by its pydantic-settings).
        env = {**os.environ, **self.env, **(settings or {})}
        stack.processes[name] = subprocess.Popen(
            [*lgsp_command(), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a Ctrl+C or group signal meant for others must not stop it mid-run
        )


def _wait_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")


def _wait_health(stack: Stack, timeout: float, processes: int = 1) -> None:
    """Return once the gateway answers /health from `processes` distinct processes (each probe is a new
    connection, which the kernel hands to any of the processes sharing the port)."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
        try:
            answer = httpx.get(f"{stack.gateway_url}/health", timeout=1.0)
            if answer.status_code == 200:
                seen.add(answer.json().get("pid", 0))
                if len(seen) >= processes:
                    return
                time.sleep(0.05)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(
        f"the gateway at {stack.gateway_url} was not healthy from {processes} process(es) after "
        f"{timeout:.0f} s (seen: {len(seen)})"
    )


def _service_ids(catalog: Path) -> list[str]:
    data: dict[str, Any] = yaml.safe_load(catalog.read_text(encoding="utf-8"))
    return [service["id"] for service in data.get("services", [])]


async def wait_for_consumers(amqp_url: str, queues: list[str], consumers: int, timeout: float) -> None:
    """Return once every queue has at least `consumers` consumers (the workers are serving), else
    raise naming the first queue that never got them: a gateway that answers /health before its
    workers consume would answer NoRoute to the first calls."""
    deadline = time.monotonic() + timeout
    connection = await connect_failover(split_amqp_urls(amqp_url), timeout=30)
    async with connection:
        for queue in queues:
            while True:
                channel = await connection.channel()  # a failed passive declare closes its channel
                try:
                    declared = await channel.declare_queue(queue, passive=True)
                    found = declared.declaration_result.consumer_count or 0
                    await channel.close()
                except aio_pika.exceptions.ChannelClosed:
                    found = 0  # not declared yet
                if found >= consumers:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"queue {queue} has {found} consumer(s), not {consumers}, after {timeout:.0f} s; "
                        "see the workers' logs"
                    )
                await asyncio.sleep(0.2)


def locust_command() -> list[str]:
    """How to run `locust` with this interpreter."""
    script = Path(sys.executable).with_name("locust")
    return [str(script)] if script.exists() else [shutil.which("locust") or "locust"]
