"""Typer sub-apps the `lgsp` CLI mounts: `lgsp capacity` (Locust + report) and `lgsp bench` (bus path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from loadtests.schedules import SHAPES

capacity_app = typer.Typer(help="Capacity report: drive the bus with Locust and judge it against an SLO.")
console = Console()


@capacity_app.callback(invoke_without_command=True)
def capacity(
    ctx: typer.Context,
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
    portal_url: Annotated[
        str | None,
        typer.Option(help="with --host: its portal mock, where dossiers are filed (default :8105)"),
    ] = None,
    latency: Annotated[bool, typer.Option(help="realistic provider latencies in the started mocks")] = False,
    amqp_url: Annotated[
        str | None, typer.Option("--amqp-url", help="run the started stack on RabbitMQ")
    ] = None,
    user_rate: Annotated[float, typer.Option(min=0.01, help="scenarios per second per Locust user")] = 1.0,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="the started stack keeps its state in Redis")
    ] = None,
    locust_workers: Annotated[
        int, typer.Option(min=0, max=64, help="Locust worker processes (distributed mode); 0: one process")
    ] = 0,
    until_slo_breaks: Annotated[
        bool,
        typer.Option(help="step: climb past the levels (×1.5) to --max-level, stop at the first SLO miss"),
    ] = False,
    max_level: Annotated[float, typer.Option(min=1, help="cap of the climb (scenarios/s)")] = 2000.0,
    journeys: Annotated[
        str | None,
        typer.Option(
            help="start and follow citizens' journeys instead of the transaction mix (rates: journeys/s), "
            "split by procedure: 'hai-phong' (the assumed split of 956 k dossiers) or kind=share,…"
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(help='MOCK={"error_rate": 0.1, …}: change a started mock\'s fault profile (repeatable)'),
    ] = None,
    min_on_time: Annotated[
        float, typer.Option(min=0, max=1, help="journeys: a stage at SLO is also on time this often (0.9)")
    ] = 0.0,
    working_day_seconds: Annotated[
        float | None, typer.Option(min=0.5, help="wall seconds of a working day on the started stack's clock")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help="worker processes of the started stack")] = 1,
    gateway_processes: Annotated[
        int, typer.Option(min=1, max=32, help="gateway processes of the started stack (RabbitMQ + Redis)")
    ] = 1,
) -> None:
    """Run Locust headless with a shape; write the report and verdict; exit 1 when the SLO is missed."""
    if ctx.invoked_subcommand is not None:
        return  # `lgsp capacity plan …`: no run
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
    if until_slo_breaks:
        from loadtests.ceiling import climbing_levels

        if shape != "step":
            raise typer.BadParameter("climbing needs --shape step", param_hint="--until-slo-breaks")
        if max_level < max(parsed_levels):
            raise typer.BadParameter("the cap is below the highest level", param_hint="--max-level")
        parsed_levels = climbing_levels(parsed_levels, cap=max_level)
    run = CapacityRun(
        out=out, shape=shape, rate=rate, seconds=seconds, levels=parsed_levels,
        slo=Slo(p99_ms=p99_ms, max_error_ratio=max_errors), required_tx_s=require, host=host,
        latency=latency, amqp_url=amqp_url, user_rate=user_rate, redis_url=redis_url,
        locust_workers=locust_workers, until_slo_breaks=until_slo_breaks,
        journeys=_journey_split(journeys), faults=_faults(fault or []),
        working_day_seconds=working_day_seconds, min_on_time=min_on_time, workers=workers,
        gateway_processes=gateway_processes, portal_url=portal_url,
    )  # fmt: skip
    if run.journeys is not None and amqp_url is not None:
        raise typer.BadParameter("journey runs start the embedded stack (memory)", param_hint="--journeys")
    if (workers > 1 or gateway_processes > 1) and (amqp_url is None or host is not None):
        raise typer.BadParameter("more processes need a started stack on RabbitMQ", param_hint="--workers")
    if gateway_processes > 1 and redis_url is None:
        raise typer.BadParameter("gateway processes share their state in Redis", param_hint="--redis-url")
    if portal_url is not None and host is None:
        raise typer.BadParameter("a started stack files on its own portal mock", param_hint="--portal-url")
    if run.faults and host is not None:
        raise typer.BadParameter("faults go into the mocks of a stack this run starts", param_hint="--fault")
    verdict = run.execute(console)
    console.print(f"report: {out}/index.html")
    console.print(verdict.line(), style="bold green" if verdict.passed else "bold red")
    if not verdict.passed:
        raise typer.Exit(1)


def _journey_split(text: str | None) -> dict[str, float] | None:
    """--journeys as shares by kind (None: the transaction mix)."""
    if text is None:
        return None
    from loadtests.journey_mix import HAI_PHONG_SPLIT, BadSplit, parse_split

    if text == "hai-phong":
        return dict(HAI_PHONG_SPLIT)
    try:
        return parse_split(text)
    except BadSplit as exc:
        raise typer.BadParameter(str(exc), param_hint="--journeys") from exc


def _faults(pairs: list[str]) -> dict[str, dict[str, object]]:
    """--fault MOCK=JSON values as mock name → fault profile changes, each checked before any start."""
    from pydantic import ValidationError

    from services.faults import FaultProfile
    from services.registry import MOCKS

    faults: dict[str, dict[str, object]] = {}
    for pair in pairs:
        name, _, changes = pair.partition("=")
        try:
            parsed = json.loads(changes)
        except ValueError:
            parsed = None
        if name not in MOCKS or not isinstance(parsed, dict):
            raise typer.BadParameter(
                f"{pair!r}: write MOCK={{JSON object}} with a mock among {', '.join(MOCKS)}",
                param_hint="--fault",
            )
        try:
            FaultProfile.model_validate_json(changes)
        except ValidationError as exc:
            raise typer.BadParameter(
                f"{pair!r}: {exc.errors(include_url=False)}", param_hint="--fault"
            ) from exc
        faults[name] = parsed
    return faults


@capacity_app.command("plan")
def capacity_plan(
    tx_per_year: Annotated[
        str, typer.Option("--tx-per-year", "--volume", help="volume: 50M (a year), 1.6M/day, 21M/day")
    ],
    peak_factor: Annotated[float, typer.Option(min=1, help="peak over the working-hours mean")] = 3.0,
    working_days: Annotated[float, typer.Option(min=1, max=366, help="days a year carrying traffic")] = 250,
    working_hours: Annotated[float, typer.Option(min=0.5, max=24, help="hours a day carrying it")] = 9,
    working_share: Annotated[
        float, typer.Option(min=0.01, max=1, help="share of a day's transactions in those hours")
    ] = 0.9,
    utilisation: Annotated[float, typer.Option(min=0.05, max=1, help="target busy share of a core")] = 0.6,
    headroom: Annotated[float, typer.Option(min=0, max=10, help="spare on top (0.25 = 25 %)")] = 0.25,
    from_json: Annotated[
        Path | None, typer.Option("--from", help="a `lgsp bench` JSON (default: the figures on record)")
    ] = None,
    case: Annotated[str | None, typer.Option(help="the bench case to take costs from")] = None,
) -> None:
    """Cores of gateway, worker, broker and Redis a volume needs, from measured CPU-µs per transaction."""
    from rich.table import Table

    from loadtests.measured_costs import DEFAULT_CASE, RECORDED, NoSuchCase, from_bench_json
    from loadtests.sizing import Assumptions, BadVolume, parse_volume, plan
    from loadtests.whole_tables import print_whole

    try:
        volume = parse_volume(tx_per_year)
    except BadVolume as exc:
        raise typer.BadParameter(str(exc), param_hint="--tx-per-year") from exc
    try:
        costs = RECORDED if from_json is None else from_bench_json(from_json, case or DEFAULT_CASE)
    except (OSError, ValueError, NoSuchCase) as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from exc
    assumptions = Assumptions(
        peak_factor=peak_factor, working_days=working_days, working_hours=working_hours,
        working_hours_share=working_share, target_utilisation=utilisation, headroom=headroom,
    )  # fmt: skip
    sized = plan(volume, costs.cpu_us_per_tx, assumptions)
    console.print(
        f"{volume}: {sized.mean_tx_s:,.1f} tx/s on average in working hours, "
        f"{sized.peak_tx_s:,.1f} tx/s at the peak",
        soft_wrap=True,
    )
    console.print(f"costs from: {costs.source}", soft_wrap=True)
    for line in assumptions.lines():
        console.print(f"assumed: {line}", soft_wrap=True)
    table = Table(title="Cores to provision")
    for column in ("component", "CPU-µs/tx", "busy cores at peak", "cores"):
        table.add_column(column, justify="left" if column == "component" else "right")
    for row in sized.components:
        if row.cpu_us_per_tx is None:
            table.add_row(row.component, "not measured", "-", "?")
        else:
            table.add_row(
                row.component, f"{row.cpu_us_per_tx:,.0f}", f"{row.busy_cores:,.2f}", str(row.cores)
            )
    table.add_row("total, each on its own cores", "", "", str(sized.total_cores))
    table.add_row("total, sharing machines", "", "", str(sized.shared_cores))
    print_whole(console, table)
    if any(row.cpu_us_per_tx is None for row in sized.components):
        console.print(
            "not measured: run `lgsp bench --amqp-url … --redis-url … --gateway-processes 1` and pass its "
            "bench.json with --from",
            soft_wrap=True,
        )


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
    gateway_processes: Annotated[
        str,
        typer.Option(
            help="also echo through `lgsp gateway --processes N` for each N, e.g. 1,2 (needs Redis)"
        ),
    ] = "",
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Redis for the --gateway-processes cases")
    ] = None,
) -> None:
    """Measure gateway → transport → adapter → mock and its raw hops in one run; print a table, write JSON."""
    from loadtests.bench.report import bench_table, cores_note, gateway_scale_table, write_bench_json
    from loadtests.bench.runner import Bench, BenchConfig
    from loadtests.whole_tables import print_whole

    scale = _counts(workers, "--workers", required=True)
    processes = _counts(gateway_processes, "--gateway-processes", required=False)
    if processes and not (amqp_url and redis_url):
        raise typer.BadParameter(
            "gateway processes share state through Redis and requests through RabbitMQ: "
            "give --amqp-url and --redis-url",
            param_hint="--gateway-processes",
        )
    config = BenchConfig(
        seconds=seconds, warmup=warmup, concurrency=concurrency, amqp_url=amqp_url, scale_workers=scale,
        redis_url=redis_url, gateway_processes=processes,
    )  # fmt: skip
    results = Bench(config, out, progress=console.print).run()
    print_whole(console, bench_table(results))
    scale_table = gateway_scale_table(results)
    if scale_table is not None:
        print_whole(console, scale_table)
        console.print(cores_note(results), soft_wrap=True)
    console.print(f"JSON: {write_bench_json(out / 'bench.json', config, results)}")


def _counts(text: str, option: str, *, required: bool) -> tuple[int, ...]:
    """Comma-separated counts ≥ 1 (an empty list only when not `required`)."""
    try:
        counts = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise typer.BadParameter("counts are integers separated by commas", param_hint=option) from exc
    if (required and not counts) or (counts and min(counts) < 1):
        raise typer.BadParameter("give counts ≥ 1, separated by commas", param_hint=option)
    return counts
