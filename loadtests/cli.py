"""Typer sub-apps the `lgsp` CLI mounts: `lgsp capacity` (Locust + report) and `lgsp bench` (bus path)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loadtests.schedules import SHAPES

capacity_app = typer.Typer(help="Capacity report: drive the bus with Locust and judge it against an SLO.")
console = Console()


@capacity_app.callback(invoke_without_command=True)
def capacity(
    out: Annotated[Path, typer.Option(help="report folder")] = Path("capacity-report"),
    shape: Annotated[str, typer.Option(help=f"load shape: {', '.join(SHAPES)}")] = "step",
    rate: Annotated[float, typer.Option(min=0.1, help="steady/base rate (tx/s)")] = 10.0,
    seconds: Annotated[float, typer.Option(min=2, help="stage hold, day length or spike length (s)")] = 30.0,
    levels: Annotated[
        str, typer.Option(help="step levels (tx/s), comma-separated")
    ] = "1,5,10,50,100,200,500",
    p99_ms: Annotated[float, typer.Option(min=1, help="SLO: p99 latency bound (ms)")] = 1000.0,
    max_errors: Annotated[float, typer.Option(min=0, max=1, help="SLO: error ratio bound")] = 0.001,
    require: Annotated[float, typer.Option(min=0, help="tx/s the stack must sustain to pass")] = 7.0,
    host: Annotated[str | None, typer.Option(help="target this gateway instead of starting a stack")] = None,
    latency: Annotated[bool, typer.Option(help="realistic provider latencies in the started mocks")] = False,
    amqp_url: Annotated[
        str | None, typer.Option("--amqp-url", help="run the started stack on RabbitMQ")
    ] = None,
    user_rate: Annotated[float, typer.Option(min=0.01, help="scenarios per second per Locust user")] = 1.0,
) -> None:
    """Run Locust headless with a shape; write the report and verdict; exit 1 when the SLO is missed."""
    from loadtests.capacity import CapacityRun
    from loadtests.slo import Slo

    if shape not in SHAPES:
        raise typer.BadParameter(f"choose one of {', '.join(SHAPES)}", param_hint="--shape")
    try:
        parsed_levels = tuple(float(x) for x in levels.split(",") if x.strip())
    except ValueError as exc:
        raise typer.BadParameter("levels are numbers separated by commas", param_hint="--levels") from exc
    if not parsed_levels or min(parsed_levels) <= 0:
        raise typer.BadParameter("give at least one positive level", param_hint="--levels")
    run = CapacityRun(
        out=out, shape=shape, rate=rate, seconds=seconds, levels=parsed_levels,
        slo=Slo(p99_ms=p99_ms, max_error_ratio=max_errors), required_tx_s=require, host=host,
        latency=latency, amqp_url=amqp_url, user_rate=user_rate,
    )  # fmt: skip
    verdict = run.execute(console)
    console.print(f"report: {out}/index.html")
    console.print(verdict.line(), style="bold green" if verdict.passed else "bold red")
    if not verdict.passed:
        raise typer.Exit(1)


bench_app = typer.Typer(
    help="Micro-benchmark of the bus path against its raw hops (tx/s, latency, CPU-µs/tx)."
)


@bench_app.callback(invoke_without_command=True)
def bench(
    out: Annotated[Path, typer.Option(help="folder for bench.json and the processes' logs")] = Path(
        "bench-results"
    ),
    seconds: Annotated[float, typer.Option(min=0.5, max=600, help="measured seconds per case")] = 10.0,
    warmup: Annotated[float, typer.Option(min=0, max=60, help="unmeasured seconds before each case")] = 2.0,
    concurrency: Annotated[int, typer.Option(min=1, max=1024, help="generator connections")] = 32,
    amqp_url: Annotated[
        str | None, typer.Option("--amqp-url", help="also measure on this RabbitMQ (omit: memory only)")
    ] = None,
    workers: Annotated[str, typer.Option(help="worker processes for the RabbitMQ scale-out")] = "1,2,4",
) -> None:
    """Measure gateway → transport → adapter → mock and its raw hops in one run; print a table, write JSON."""
    from loadtests.bench.report import bench_table, write_bench_json
    from loadtests.bench.runner import Bench, BenchConfig

    try:
        scale = tuple(int(x) for x in workers.split(",") if x.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            "worker counts are integers separated by commas", param_hint="--workers"
        ) from exc
    if not scale or min(scale) < 1:
        raise typer.BadParameter("give at least one worker count ≥ 1", param_hint="--workers")
    config = BenchConfig(
        seconds=seconds, warmup=warmup, concurrency=concurrency, amqp_url=amqp_url, scale_workers=scale
    )
    results = Bench(config, out, progress=console.print).run()
    console.print(bench_table(results))
    console.print(f"JSON: {write_bench_json(out / 'bench.json', config, results)}")
