"""Run the benchmark: each case under the same generator, CPU charged to every process of the path.

CPU-µs per transaction = Σ over the case's processes (gateway, workers, mocks, broker) of
(utime + stime) spent during the measured window ÷ transactions answered in it. The generator's own
CPU is not charged. The broker is shared with other users of this machine: its share is reported apart.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import yaml
from pydantic import BaseModel, Field

from bus.broker_urls import split_amqp_urls
from bus.transport.amqp_failover import connect_failover
from loadtests.bench.cases import CITIZEN, CLIENT_HEADERS, ECHO_BODY, raw_hop, raw_mock, soap_verify_body
from loadtests.bench.cpu import broker_pids, redis_pids, snapshot, spent
from loadtests.bench.generator import GeneratorResult, GeneratorSpec
from loadtests.stack import DEFAULT_CATALOG, StackPlan

ECHO = "VN/GOV/HPG/LGSP/Echo/v1"
VERIFY = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"


class CaseResult(BaseModel):
    """One case's figures."""

    case: str
    kind: str = Field(description="bus or raw")
    transport: str
    workers: int = 0
    gateway_processes: int = 1
    load: GeneratorResult
    cpu_s: dict[str, float]
    cpu_us_per_tx: float
    broker_cpu_us_per_tx: float = 0.0
    redis_cpu_us_per_tx: float = 0.0
    raw_cpu_us_per_tx: float | None = Field(None, description="the same path's raw hops, summed")
    overhead_ratio: float | None = None


class BenchConfig(BaseModel):
    """How long and how hard each case runs, and on which broker."""

    seconds: float = Field(5.0, gt=0)
    warmup: float = Field(1.0, ge=0)
    concurrency: int = Field(32, ge=1)
    amqp_url: str | None = None
    scale_workers: tuple[int, ...] = (1, 2, 4)
    redis_url: str | None = None
    gateway_processes: tuple[int, ...] = Field(
        (), description="gateway process counts to run echo with, on RabbitMQ + Redis (empty: none)"
    )
    tag: str = Field("BENCH", pattern=r"^[A-Z0-9]{1,12}$", description="isolates the bench's queues")


class Bench:
    """Runs the cases in order, keeping results by case name."""

    def __init__(self, config: BenchConfig, workdir: Path, progress: Callable[[str], None] = print) -> None:
        self.config = config
        self.workdir = workdir
        self.progress = progress
        self.results: list[CaseResult] = []

    def run(self) -> list[CaseResult]:
        """Every case: raw hops, bus on memory, and (with a broker) bus on RabbitMQ at 1, 2, 4 workers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._raw_http_echo()
        self._raw_mock()
        self._bus(None, 1)
        if self.config.amqp_url:
            asyncio.run(delete_isolated_queues(self.config.amqp_url, self.config.tag))
            self._raw_rpc_echo()
            for workers in self.config.scale_workers:
                self._bus(self.config.amqp_url, workers, with_population=workers == 1)
            for processes in self.config.gateway_processes:
                self._gateway_processes(processes)
            asyncio.run(delete_isolated_queues(self.config.amqp_url, self.config.tag))
        self._ratios()
        return self.results

    def _spec(
        self, url: str, body: str, headers: dict[str, str], content_type: str = "application/json"
    ) -> GeneratorSpec:
        return GeneratorSpec(
            url=url, body=body, headers=headers, content_type=content_type,
            concurrency=self.config.concurrency, seconds=self.config.seconds, warmup=self.config.warmup,
        )  # fmt: skip

    @staticmethod
    def _ports(urls: str | None, default: int) -> list[int]:
        """The TCP ports of a (comma-separated) service URL list: whose listeners the bench charges."""
        return [urlsplit(url.strip()).port or default for url in urls.split(",")] if urls else []

    def _measure(
        self,
        case: str,
        kind: str,
        transport: str,
        spec: GeneratorSpec,
        pids: dict[str, int],
        workers: int = 0,
        gateway_processes: int = 1,
        with_redis: bool = False,
    ) -> None:
        self.progress(f"{case}: {spec.concurrency} connections for {spec.seconds:g} s")
        brokers = broker_pids(self._ports(self.config.amqp_url, 5672)) if transport == "amqp" else {}
        redis = redis_pids(self._ports(self.config.redis_url, 6379)) if with_redis else {}
        everyone = pids | brokers | redis
        generator = subprocess.Popen(
            [sys.executable, "-m", "loadtests.bench.generator", spec.model_dump_json()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(spec.warmup)
        before = snapshot(everyone)
        time.sleep(spec.seconds)
        after = snapshot(everyone)
        out, err = generator.communicate(timeout=spec.timeout + 30)
        if generator.returncode != 0:
            raise RuntimeError(f"the generator failed on {case}: {err.decode()[-500:]}")
        load = GeneratorResult.model_validate_json(out)
        if load.requests == 0:
            raise RuntimeError(f"no transaction of {case} completed in the window: {load.first_failure}")
        cpu = spent(before, after)
        answered = max(1, load.requests)
        broker = sum(cpu[n] for n in brokers)
        self.results.append(
            CaseResult(
                case=case, kind=kind, transport=transport, workers=workers, load=load, cpu_s=cpu,
                gateway_processes=gateway_processes,
                cpu_us_per_tx=round(1e6 * sum(cpu.values()) / answered, 1),
                broker_cpu_us_per_tx=round(1e6 * broker / answered, 1),
                redis_cpu_us_per_tx=round(1e6 * sum(cpu[n] for n in redis) / answered, 1),
            )
        )  # fmt: skip
        self.progress(
            f"  {load.tx_s:,.0f} tx/s, p50 {load.p50_ms} ms, p99 {load.p99_ms} ms, failures {load.failures}"
        )

    def _raw_http_echo(self) -> None:
        process, port = raw_hop("http-echo", self.workdir)
        with _running({"http-echo": process}, port):
            spec = self._spec(f"http://127.0.0.1:{port}/echo", ECHO_BODY, {})
            self._measure("raw FastAPI echo", "raw", "none", spec, {"http-echo": process.pid})

    def _raw_mock(self) -> None:
        process, port = raw_mock(self.workdir)
        with _running({"mock": process}, port):
            spec = self._spec(
                f"http://127.0.0.1:{port}/", soap_verify_body(), {"SOAPAction": '"http://dancuquocgia.bca/XacThucThongTinCongDan"'},
                content_type="text/xml; charset=utf-8",
            )  # fmt: skip
            self._measure("raw population mock (SOAP)", "raw", "none", spec, {"mock": process.pid})

    def _raw_rpc_echo(self) -> None:
        assert self.config.amqp_url
        queue = f"lgsp.bench.raw.{self.config.tag}"
        echo, _ = raw_hop("rpc-echo", self.workdir, amqp_url=self.config.amqp_url, queue=queue)
        time.sleep(2.0)  # the consumer declares the queue before the front publishes to it
        front, port = raw_hop("rpc-front", self.workdir, amqp_url=self.config.amqp_url, queue=queue)
        with _running({"rpc-front": front, "rpc-echo": echo}, port):
            spec = self._spec(f"http://127.0.0.1:{port}/rpc", ECHO_BODY, {})
            self._measure(
                "raw FastAPI + aio-pika RPC echo",
                "raw",
                "amqp",
                spec,
                {"rpc-front": front.pid, "rpc-echo": echo.pid},
            )

    def _bus(self, amqp_url: str | None, workers: int, with_population: bool = True) -> None:
        transport = "amqp" if amqp_url else "memory"
        plan = StackPlan(
            self.workdir / f"stack-{transport}-{workers}", amqp_url=amqp_url, worker_processes=workers,
            isolate=self.config.tag if amqp_url else None,
        )  # fmt: skip
        stack = plan.start()
        try:
            member = f"LGSP{self.config.tag}" if amqp_url else "LGSP"
            echo = ECHO.replace("/LGSP/", f"/{member}/")
            spec = self._spec(f"{stack.gateway_url}/r1/{echo}", ECHO_BODY, CLIENT_HEADERS)
            suffix = f", {workers} worker process{'es' if workers > 1 else ''}" if amqp_url else ""
            self._measure(f"bus echo on {transport}{suffix}", "bus", transport, spec, stack.pids(), workers)
            if with_population:
                verify = VERIFY.replace("/CSDLDC/", f"/CSDLDC{self.config.tag}/") if amqp_url else VERIFY
                body = _json(CITIZEN)
                spec = self._spec(f"{stack.gateway_url}/r1/{verify}", body, CLIENT_HEADERS)
                self._measure(
                    f"bus population verify on {transport}{suffix}",
                    "bus",
                    transport,
                    spec,
                    stack.pids(),
                    workers,
                )
        finally:
            stack.stop()

    def _gateway_processes(self, processes: int) -> None:
        """Echo through `lgsp gateway --processes N` and one worker, state in Redis (as deployed)."""
        assert self.config.amqp_url and self.config.redis_url
        plan = StackPlan(
            self.workdir / f"stack-amqp-gateway-{processes}", amqp_url=self.config.amqp_url,
            isolate=self.config.tag, redis_url=self.config.redis_url, gateway_processes=processes,
            mocks=False,
        )  # fmt: skip
        stack = plan.start()
        try:
            echo = ECHO.replace("/LGSP/", f"/LGSP{self.config.tag}/")
            spec = self._spec(f"{stack.gateway_url}/r1/{echo}", ECHO_BODY, CLIENT_HEADERS)
            case = f"bus echo on amqp + Redis, {processes} gateway process{'es' if processes > 1 else ''}"
            self._measure(
                case, "bus", "amqp", spec, stack.pids(), 1, gateway_processes=processes, with_redis=True
            )
        finally:
            stack.stop()

    def _ratios(self) -> None:
        by_case = {r.case: r for r in self.results}

        def cost(*cases: str) -> float | None:
            found = [by_case[c].cpu_us_per_tx for c in cases if c in by_case]
            return sum(found) if len(found) == len(cases) else None

        for result in self.results:
            if result.kind != "bus":
                continue
            hop = "raw FastAPI echo" if result.transport == "memory" else "raw FastAPI + aio-pika RPC echo"
            parts = (hop, "raw population mock (SOAP)") if "population" in result.case else (hop,)
            raw = cost(*parts)
            if raw:
                result.raw_cpu_us_per_tx = round(raw, 1)
                result.overhead_ratio = round(result.cpu_us_per_tx / raw, 2)


class _running:
    """Context: wait until `port` listens; terminate the processes on exit."""

    def __init__(self, processes: dict[str, subprocess.Popen[bytes]], port: int) -> None:
        self.processes = processes
        self.port = port

    def __enter__(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError(f"nothing listens on {self.port}")

    def __exit__(self, *_: Any) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def delete_isolated_queues(amqp_url: str, tag: str) -> None:
    """Remove every isolated service queue of the bench (and its dead-letter queue) from the shared broker.

    Run before (queues left by an older version may carry other arguments) and after the RabbitMQ cases.
    """
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    connection = await connect_failover(split_amqp_urls(amqp_url), timeout=30)
    async with connection:
        for service in data.get("services", []):
            parts = service["id"].split("/")
            parts[3] = f"{parts[3]}{tag}"
            queue = "lgsp.svc." + ".".join(parts)
            for each in (queue, f"{queue}.dlq"):
                channel = await connection.channel()
                try:
                    await channel.queue_delete(each)
                except aio_pika.exceptions.AMQPError:
                    pass  # never declared on this broker
