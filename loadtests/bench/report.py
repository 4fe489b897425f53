"""The benchmark's table (rich) and JSON file."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from loadtests.bench.runner import BenchConfig, CaseResult

GATEWAY_CASE = "gateway process"  # in the names of the --gateway-processes cases
SCALE_NOTE = (
    "This machine has {cores} core(s) shared by every process (generator, gateway, workers, mocks, broker): "
    "worker processes beyond the cores add contention, not capacity, so the scale-out curve flattens."
)


def bench_table(results: list[CaseResult]) -> Table:
    """One row per case: throughput, latency, CPU per transaction, broker share, ratio to the raw hops."""
    table = Table(title="LGSP bus micro-benchmark")
    for column in (
        "case",
        "tx/s",
        "p50 ms",
        "p99 ms",
        "fail",
        "CPU-µs/tx",
        "of it broker",
        "raw µs/tx",
        "ratio",
    ):
        table.add_column(column, justify="left" if column == "case" else "right")
    for r in results:
        table.add_row(
            r.case,
            f"{r.load.tx_s:,.0f}",
            f"{r.load.p50_ms:.1f}",
            f"{r.load.p99_ms:.1f}",
            str(r.load.failures),
            f"{r.cpu_us_per_tx:,.0f}",
            f"{r.broker_cpu_us_per_tx:,.0f}" if r.transport == "amqp" else "-",
            f"{r.raw_cpu_us_per_tx:,.0f}" if r.raw_cpu_us_per_tx else "-",
            f"{r.overhead_ratio:.2f}×" if r.overhead_ratio else "-",
        )
    return table


def gateway_scale_table(results: list[CaseResult]) -> Table | None:
    """The `--gateway-processes` cases: CPU per transaction against the number of gateway processes."""
    cases = sorted((r for r in results if GATEWAY_CASE in r.case), key=lambda r: r.gateway_processes)
    if not cases:
        return None
    table = Table(title="Gateway processes on one port (RabbitMQ + Redis, 1 worker)")
    columns = (
        "processes",
        "tx/s",
        "p99 ms",
        "CPU-µs/tx",
        "gateway µs/tx",
        "per process",
        "Redis µs/tx",
        "vs 1",
    )
    for column in columns:
        table.add_column(column, justify="right")
    base = cases[0].cpu_us_per_tx if cases[0].gateway_processes == 1 else None
    for r in cases:
        answered = max(1, r.load.requests)
        members = {n: c for n, c in r.cpu_s.items() if n.startswith("gateway")}
        per_member = [c for n, c in members.items() if n != "gateway"] or list(members.values())
        table.add_row(
            str(r.gateway_processes),
            f"{r.load.tx_s:,.0f}",
            f"{r.load.p99_ms:.1f}",
            f"{r.cpu_us_per_tx:,.0f}",
            f"{1e6 * sum(members.values()) / answered:,.0f}",
            " / ".join(f"{1e6 * c / answered:,.0f}" for c in per_member),
            f"{r.redis_cpu_us_per_tx:,.0f}",
            f"{100 * (r.cpu_us_per_tx / base - 1):+.0f} %" if base else "-",
        )
    return table


def cores_note(results: list[CaseResult], cores: int | None = None) -> str | None:
    """What the last gateway-processes case's cost means on more cores (if the cost stays flat)."""
    cases = [r for r in results if GATEWAY_CASE in r.case]
    if not cases:
        return None
    last = cases[-1]
    per_core = 1e6 / last.cpu_us_per_tx
    have = cores or os.cpu_count() or 1
    return (
        f"At {last.cpu_us_per_tx:,.0f} CPU-µs/tx for the whole path (gateway, worker, broker, Redis), "
        f"one core carries ≈ {per_core:,.0f} tx/s: this machine's {have} ≈ {have * per_core:,.0f}, 8 cores "
        f"≈ {8 * per_core:,.0f}, 16 ≈ {16 * per_core:,.0f} — if the cost per transaction stays flat as "
        "processes are added (the table above shows whether it does here), and less the generator's share."
    )


def write_bench_json(path: Path, config: BenchConfig, results: list[CaseResult]) -> Path:
    """Write the configuration, the machine, the scale-out note and every case's figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    document = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.model_dump(exclude={"amqp_url"}) | {"amqp": config.amqp_url is not None},
        "machine": {"cores": cores, "python": platform.python_version(), "platform": platform.platform()},
        "scale_out_note": SCALE_NOTE.format(cores=cores),
        "results": [r.model_dump() for r in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
