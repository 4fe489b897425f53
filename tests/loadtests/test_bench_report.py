"""The bench's printed tables: whole when piped, per-process figures of the gateway scale-out."""

from __future__ import annotations

import io

from rich.console import Console

from loadtests.bench.generator import GeneratorResult
from loadtests.bench.report import bench_table, cores_note, gateway_scale_table
from loadtests.bench.runner import CaseResult
from loadtests.whole_tables import print_whole

LONG_CASE = "bus population verify on amqp, 1 worker process"


def _case(case: str, cpu_s: dict[str, float], requests: int = 1000, processes: int = 1) -> CaseResult:
    load = GeneratorResult(requests=requests, failures=0, seconds=2, tx_s=requests / 2, p50_ms=3.0,
                           p90_ms=5.0, p99_ms=9.0)  # fmt: skip
    total = sum(cpu_s.values())
    return CaseResult(
        case=case, kind="bus", transport="amqp", workers=1, gateway_processes=processes, load=load,
        cpu_s=cpu_s, cpu_us_per_tx=round(1e6 * total / requests, 1),
        redis_cpu_us_per_tx=round(1e6 * cpu_s.get("redis-1", 0.0) / requests, 1),
    )  # fmt: skip


def test_piped_bench_table_keeps_each_row_on_one_line() -> None:
    out = io.StringIO()
    piped = Console(file=out, width=80)  # not a terminal: rich would squeeze to 80 columns
    print_whole(piped, bench_table([_case(LONG_CASE, {"gateway": 2.0, "worker-1": 1.5})]))
    lines = out.getvalue().splitlines()
    assert any(LONG_CASE in line and "3,500" in line for line in lines)  # name and figures together
    assert max(len(line) for line in lines) > 80
    assert piped.width == 80  # the console is left as it was


def test_terminal_bench_table_fits_the_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, width=80, force_terminal=True, color_system=None)
    print_whole(terminal, bench_table([_case(LONG_CASE, {"gateway": 2.0})]))
    assert max(len(line) for line in out.getvalue().splitlines()) <= 80


def test_gateway_scale_table_shows_each_process_and_the_change_against_one() -> None:
    one = _case("bus echo on amqp + Redis, 1 gateway process", {"gateway": 0.01, "gateway.1": 1.0,
                "worker-1": 0.6, "redis-1": 0.1}, processes=1)  # fmt: skip
    two = _case("bus echo on amqp + Redis, 2 gateway processes", {"gateway": 0.01, "gateway.1": 0.6,
                "gateway.2": 0.5, "worker-1": 0.6, "redis-1": 0.1}, processes=2)  # fmt: skip
    table = gateway_scale_table([_case(LONG_CASE, {"gateway": 1.0}), two, one])
    assert table is not None
    out = io.StringIO()
    print_whole(Console(file=out, width=80), table)
    text = out.getvalue()
    assert "600 / 500" in text  # per process, µs/tx
    assert "+6 %" in text  # (1,810 - 1,710) / 1,710
    note = cores_note([one, two], cores=2)
    assert note is not None and "≈ 552 tx/s" in note  # 1e6 / 1,810 µs per core


def test_no_scale_table_without_gateway_process_cases() -> None:
    assert gateway_scale_table([_case(LONG_CASE, {"gateway": 1.0})]) is None
    assert cores_note([_case(LONG_CASE, {"gateway": 1.0})]) is None
