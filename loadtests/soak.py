"""Soak: hold a steady load on a started stack for a long time and watch the bus's processes for leaks.

    python -m loadtests.soak --minutes 30 --rate 50            # embedded stack (lgsp run)
    python -m loadtests.soak --minutes 30 --rate 50 --amqp-url amqp://guest:guest@127.0.0.1:5672/ \
        --redis-url redis://127.0.0.1:6379/14                  # as deployed: RabbitMQ and Redis

Half the measured capacity is the default: `lgsp capacity` sustained 124.2 tx/s at SLO on the reference
machine at a target of 100 scenarios/s (≈ 1.2 bus calls each), so `--rate 50` ≈ 62 tx/s. Locust drives
the stack (the capacity run's own locustfile and report); every `--sample-seconds` the resident memory
(RSS) and open file descriptors of every stack process are written to `soak.csv`. The verdict compares
the first and the last tenth of the run (after `--warmup-minutes`): flat when RSS grew by less than
`--rss-growth-mb` and open fds by less than `--fd-growth`. The bus's processes (gateway, workers) are
judged apart from the mocks, which keep every record they are sent (registrations, certificates) and so
grow by design; the exit status follows the bus's verdict alone, and both are stated. Open fds are also
counted by kind (sockets, pipes, anonymous inodes such as epoll and eventfd, files), so a creep names
what leaks. A benchmark, not a CI test. On the memory stack the bus keeps its state in its own process
(transaction log, 24 h completed-work records), so its RSS grows with every transaction by design;
judge leaks on RabbitMQ + Redis.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Annotated

import aio_pika
import psutil
import typer
from rich.console import Console

from bus.broker_urls import split_amqp_urls
from bus.catalog import load_catalog
from bus.reliability.backoff import DELAY_BUCKETS_MS
from bus.transport.amqp_failover import connect_failover
from bus.transport.amqp_wire import retry_queue_name
from bus.transport.base import dead_letter_queue
from loadtests.capacity import CapacityRun
from loadtests.stack import Stack, StackPlan


@dataclass(frozen=True)
class Sample:
    """One look at one process."""

    elapsed: float
    process: str
    rss_mb: float
    open_fds: int
    threads: int
    fd_kinds: Counter[str]


FD_KINDS = ("socket", "pipe", "anon_inode", "file")
MOCK_PREFIX = "mock-"


def fd_kinds(pid: int) -> Counter[str]:
    """A process's open fds by kind (one of FD_KINDS), read from /proc/PID/fd (empty where unreadable)."""
    kinds: Counter[str] = Counter()
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return kinds
    for name in names:
        try:
            target = os.readlink(f"{folder}/{name}")
        except OSError:
            continue  # closed between the listing and the look
        kind = target.split(":", 1)[0] if target.startswith(("socket:", "pipe:", "anon_inode:")) else "file"
        kinds[kind] += 1
    return kinds


def sample_stack(stack: Stack, began: float) -> list[Sample]:
    """RSS, open fds and threads of every live stack process (children included, summed)."""
    found = []
    for name, pid in stack.pids().items():
        try:
            process = psutil.Process(pid)
            family = [process, *process.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in family) / 1_048_576
            fds = sum(p.num_fds() for p in family)
            threads = sum(p.num_threads() for p in family)
        except psutil.Error:
            continue  # exited between the listing and the look: the stop or a crash shows in its log
        kinds = sum((fd_kinds(p.pid) for p in family), Counter[str]())
        found.append(Sample(round(time.monotonic() - began, 1), name, round(rss, 1), fds, threads, kinds))
    return found


class Sampler(threading.Thread):
    """Samples the stack every `every` seconds into `path` (CSV) until stopped."""

    def __init__(self, stack: Stack, path: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.stack, self.path, self.every = stack, path, every
        self.samples: list[Sample] = []
        self._halt = threading.Event()

    def run(self) -> None:
        began = time.monotonic()
        with self.path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["elapsed_s", "process", "rss_mb", "open_fds", "threads", *FD_KINDS])
            while not self._halt.is_set():
                for sample in sample_stack(self.stack, began):
                    self.samples.append(sample)
                    writer.writerow(
                        [
                            sample.elapsed,
                            sample.process,
                            sample.rss_mb,
                            sample.open_fds,
                            sample.threads,
                            *(sample.fd_kinds[kind] for kind in FD_KINDS),
                        ]
                    )
                out.flush()
                self._halt.wait(self.every)

    def stop(self) -> None:
        """Stop after the current look."""
        self._halt.set()
        self.join()


async def delete_isolated_queues(amqp_url: str, catalog: Path) -> None:
    """Remove the queues of the run's own subsystem (service, DLQ and retry queues) from the broker.
    Redis keys are left: point `--redis-url` at a spare database."""
    connection = await connect_failover(split_amqp_urls(amqp_url), timeout=30)
    async with connection:
        for service in load_catalog(catalog).services:
            queue = service.id.queue_name
            for name in (
                queue,
                dead_letter_queue(queue),
                *(retry_queue_name(queue, b) for b in DELAY_BUCKETS_MS),
            ):
                channel = await connection.channel()
                try:
                    await channel.queue_delete(name)
                except aio_pika.exceptions.AMQPError:
                    pass  # never declared


def steady_load_on(stack: Stack, out: Path, rate: float, minutes: float) -> CapacityRun:
    """The capacity run holding `rate` on a started stack, filing synchronised dossiers on its own portal
    mock (else Locust skips the portal's sync and the soak's mix lacks it)."""
    portal_url = stack.mock_url("portal")
    return CapacityRun(
        out, shape="steady", rate=rate, seconds=minutes * 60, host=stack.gateway_url, portal_url=portal_url
    )


def growth(samples: list[Sample], warmup: float) -> dict[str, dict[str, float]]:
    """Per process: mean RSS and fds (and fds of each kind) of the first and the last tenth of the run
    after `warmup` s."""
    report: dict[str, dict[str, float]] = {}
    for name in sorted({s.process for s in samples}):
        mine = [s for s in samples if s.process == name and s.elapsed >= warmup]
        if len(mine) < 2:
            continue
        tenth = max(1, len(mine) // 10)
        first, last = mine[:tenth], mine[-tenth:]
        report[name] = {
            "rss_first_mb": round(mean(s.rss_mb for s in first), 1),
            "rss_last_mb": round(mean(s.rss_mb for s in last), 1),
            "rss_max_mb": max(s.rss_mb for s in mine),
            "fds_first": round(mean(s.open_fds for s in first), 1),
            "fds_last": round(mean(s.open_fds for s in last), 1),
            "fds_max": max(s.open_fds for s in mine),
            **{
                f"{kind}_fds_{part}": round(mean(s.fd_kinds[kind] for s in looks), 1)
                for kind in FD_KINDS
                for part, looks in (("first", first), ("last", last))
            },
        }
    return report


def flat(figures: dict[str, float], rss_growth_mb: float, fd_growth: int) -> bool:
    """Whether one process's RSS and open fds grew less than the bounds from the first tenth to the last."""
    rss = figures["rss_last_mb"] - figures["rss_first_mb"]
    return rss < rss_growth_mb and figures["fds_last"] - figures["fds_first"] < fd_growth


def verdicts(report: dict[str, dict[str, float]], rss_growth_mb: float, fd_growth: int) -> dict[str, bool]:
    """Flat or not, for the bus's processes (gateway, workers) and for the mocks, judged apart."""
    groups = {
        "bus": [f for name, f in report.items() if not name.startswith(MOCK_PREFIX)],
        "mocks": [f for name, f in report.items() if name.startswith(MOCK_PREFIX)],
    }
    return {
        group: all(flat(f, rss_growth_mb, fd_growth) for f in members)
        for group, members in groups.items()
        if members
    }


def main(
    out: Annotated[Path, typer.Option(help="report folder")] = Path("soak-report"),
    minutes: Annotated[float, typer.Option(help="how long to hold the load")] = 30.0,
    rate: Annotated[
        float, typer.Option(help="scenarios/s (50 ≈ 62 tx/s, half the measured capacity)")
    ] = 50.0,
    amqp_url: Annotated[str | None, typer.Option(help="RabbitMQ (else the embedded memory stack)")] = None,
    redis_url: Annotated[
        str | None, typer.Option(help="Redis for the bus's shared state (else memory)")
    ] = None,
    workers: Annotated[int, typer.Option(help="worker processes on RabbitMQ")] = 1,
    sample_seconds: Annotated[float, typer.Option(help="seconds between looks")] = 10.0,
    warmup_minutes: Annotated[float, typer.Option(help="ignored at the start of the verdict")] = 1.0,
    rss_growth_mb: Annotated[float, typer.Option(help="largest RSS growth still called flat")] = 20.0,
    fd_growth: Annotated[int, typer.Option(help="largest open-fd growth still called flat")] = 10,
) -> None:
    """Start a stack, hold `rate` for `minutes`, and say whether memory and fds stayed flat."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    isolate = f"S{int(time.time()) % 100_000}" if amqp_url else None
    plan = StackPlan(
        out / "stack", amqp_url=amqp_url, worker_processes=workers, isolate=isolate, redis_url=redis_url
    )
    stack = plan.start()
    sampler = Sampler(stack, out / "soak.csv", sample_seconds)
    sampler.start()
    try:
        verdict = steady_load_on(stack, out / "load", rate, minutes).execute(console)
    finally:
        try:
            sampler.stop()
        finally:
            stack.stop()
    report = growth(sampler.samples, warmup_minutes * 60)
    judged = verdicts(report, rss_growth_mb, fd_growth)
    summary = {
        "minutes": minutes,
        "rate": rate,
        "load": verdict.line(),
        "flat": judged,
        "processes": report,
    }
    (out / "soak.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    for name, figures in report.items():
        console.print(f"{name:>12}: {figures}")
    described = {"bus": "the bus (gateway, workers)", "mocks": "the mocks (they keep their records)"}
    for group, is_flat in judged.items():
        state = "FLAT" if is_flat else "GROWING"
        console.print(f"{state}: RSS and open fds of {described[group]} over {minutes:g} min at {rate:g}/s")
    if amqp_url:
        try:
            asyncio.run(delete_isolated_queues(amqp_url, out / "stack" / "catalog.yaml"))
        except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
            console.print(f"the run's queues were not deleted ({exc!r}); delete them by hand")
    if not judged.get("bus", False):
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
