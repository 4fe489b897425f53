"""The benchmark's table (rich) and JSON file."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from rich.table import Table

from loadtests.bench.runner import BenchConfig, CaseResult

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


def write_bench_json(path: Path, config: BenchConfig, results: list[CaseResult]) -> Path:
    """Write the configuration, the machine, the scale-out note and every case's figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    document = {
        "config": config.model_dump(exclude={"amqp_url"}) | {"amqp": config.amqp_url is not None},
        "machine": {"cores": cores, "python": platform.python_version(), "platform": platform.platform()},
        "scale_out_note": SCALE_NOTE.format(cores=cores),
        "results": [r.model_dump() for r in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
