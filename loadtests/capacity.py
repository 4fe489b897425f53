"""`lgsp capacity`: start (or target) a stack, drive it with Locust headless, write the report folder."""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from loadtests.bench.cpu import broker_pids, redis_pids
from loadtests.generator_share import GeneratorShare
from loadtests.journey_figures import JourneyFigures, journey_figures
from loadtests.journey_mix import JourneyCalibration
from loadtests.journey_recorder import JOURNEY_COLUMNS, read_journeys
from loadtests.report import write_report
from loadtests.scenarios.journeys import drawn
from loadtests.schedules import STEP_LEVELS, Stage, build, stage_at
from loadtests.slo import Slo, StageFigures, Verdict
from loadtests.stack import Stack, StackPlan, free_port, locust_command
from loadtests.stack_cpu import CpuTimeline, bound_line, cpu_line

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
JOURNEY_LOCUSTFILE = Path(__file__).with_name("journey_locustfile.py")
JOURNEY_DRAIN = 120.0  # s: after the schedule, journeys still running are followed this long
LATE_TICK = 3.0  # s: the climb's watch ends a run within a tick or two after the breaking stage ends


@dataclass
class CapacityRun:
    """One capacity run: the shape and its parameters, the SLO, and where the report goes."""

    out: Path
    shape: str = "step"
    rate: float = 10.0
    seconds: float = 30.0
    levels: tuple[float, ...] = STEP_LEVELS
    slo: Slo = field(default_factory=Slo)
    required_tx_s: float = 7.0
    host: str | None = None
    latency: bool = False
    amqp_url: str | None = None
    user_rate: float = 1.0
    locust_workers: int = 0  # > 0: Locust's distributed mode, a master and this many worker processes
    until_slo_breaks: bool = False  # end the run at the first stage missing the SLO (levels climb)
    redis_url: str | None = None  # the started stack keeps its state in Redis
    journeys: dict[str, float] | None = None  # a journey run: the split by procedure (rates: journeys/s)
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)  # mock name → fault profile changes
    working_day_seconds: float | None = None  # the started stack's compressed working day
    min_on_time: float = 0.0  # a journey stage at SLO is also on time at least this often (0: not judged)
    workers: int = 1  # worker processes of the started stack (RabbitMQ)
    gateway_processes: int = 1  # `lgsp gateway --processes N` of the started stack (RabbitMQ + Redis)
    portal_url: str | None = None  # with `host`: its portal mock (default: Locust's, the usual port)

    def stages(self) -> list[Stage]:
        """The schedule Locust will follow."""
        return build(
            self.shape, self.rate, self.seconds, self.levels, "journeys/s" if self.journeys else "tx/s"
        )

    def locust_args(
        self, host: str, master_port: int | None = None, portal_url: str | None = None
    ) -> list[str]:
        """The headless Locust command line (of the master, when `master_port` is given); `portal_url`:
        the portal mock where citizens file dossiers (journeys) and the dossier sync files its own."""
        distributed = (
            ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
             "--expect-workers", str(self.locust_workers)]
            if master_port is not None else []
        )  # fmt: skip
        journeys = (
            ["--lgsp-journeys", ",".join(f"{k}={v:g}" for k, v in self.journeys.items()),
             "--lgsp-journeys-raw", str(self.out / "journeys.csv"),
             "--lgsp-journey-drain", f"{JOURNEY_DRAIN:g}"]
            if self.journeys else []
        )  # fmt: skip
        return [
            *locust_command(),
            "-f", str(self.locustfile), "--headless", "--host", host, "--only-summary", *distributed,
            *journeys, *(["--lgsp-portal-url", portal_url] if portal_url else []),
            "--csv", str(self.out / "locust"), "--html", str(self.out / "locust.html"),
            "--lgsp-shape", self.shape, "--lgsp-rate", str(self.rate), "--lgsp-seconds", str(self.seconds),
            "--lgsp-levels", ",".join(f"{x:g}" for x in self.levels), "--lgsp-user-rate", str(self.user_rate),
            "--lgsp-raw", str(self.out / "raw.csv"),
            "--slo-p99-ms", str(self.slo.p99_ms), "--slo-error-rate", str(self.slo.max_error_ratio),
            *(["--lgsp-until-slo-breaks"] if self.until_slo_breaks else []),
        ]  # fmt: skip

    @property
    def locustfile(self) -> Path:
        """The transaction mix's locustfile, or the journeys'."""
        return JOURNEY_LOCUSTFILE if self.journeys else LOCUSTFILE

    def worker_args(self, master_port: int) -> list[str]:
        """A Locust worker's command line (the master sends it the host and the LGSP options)."""
        return [
            *locust_command(), "-f", str(self.locustfile), "--worker",
            "--master-host", "127.0.0.1", "--master-port", str(master_port),
        ]  # fmt: skip

    def execute(self, console: Console) -> Verdict:
        """Run the whole thing, showing progress; returns the verdict (report written to `out`)."""
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in [*self.out.glob("raw.csv*"), *self.out.glob("journeys.csv*")]:  # an earlier run's
            stale.unlink()
        stack: Stack | None = None
        host = self.host
        if host is None:
            console.print("starting the stack…")
            day = self.working_day_seconds
            clock = {} if day is None else {"LGSP_CLOCK_WORKING_DAY_SECONDS": f"{day:g}"}
            plan = StackPlan(
                self.out / "stack", amqp_url=self.amqp_url, latency=self.latency, redis_url=self.redis_url,
                embedded_mocks=self.journeys is not None, worker_processes=self.workers,
                gateway_processes=self.gateway_processes, env=clock,
            )  # fmt: skip
            stack = plan.start()
            host = stack.gateway_url
        injected: dict[str, dict[str, int]] = {}
        try:
            if self.faults:
                inject_faults(stack, self.faults, console)
            console.print(f"driving {host} with the {self.shape} shape")
            timeline = CpuTimeline(self._stack_pids(stack))
            portal_url = (stack.mock_url("portal") if stack is not None else None) or self.portal_url
            generator = self._drive(host, console, portal_url, timeline)
            if stack is not None and self.faults:
                injected = fault_counts(stack, list(self.faults))
        finally:
            if stack is not None:
                stack.stop()
        stages = self._stages_run()
        run: dict[str, Any] = {
            "shape": self.shape, "rate": self.rate, "seconds": self.seconds, "levels": list(self.levels),
            "host": host if self.host else "started by lgsp capacity", "latency": self.latency,
            "transport": "amqp" if self.amqp_url else "memory",
            "stores": "redis" if self.redis_url else "memory",
            "locust_workers": self.locust_workers, "until_slo_breaks": self.until_slo_breaks,
            "generator": generator.as_dict() | {"line": generator.line()},
            "journeys": self.journeys, "faults": self.faults, "faults_injected": injected,
            "working_day_seconds": self.working_day_seconds,
            "workers": self.workers, "gateway_processes": self.gateway_processes,
        }  # fmt: skip
        journeys = self._journey_figures(stages) if self.journeys else None
        verdict = write_report(
            self.out, self.out / "raw.csv", stages, self.slo, self.required_tx_s, run, journeys
        )
        notes = [generator.line()]
        notes += [
            f"faults injected by {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
            for name, counts in injected.items()
        ]
        if self.until_slo_breaks:
            notes.append(ceiling_line(self.out / "figures.json", self.levels[-1]))
        if stack is not None:  # a stack at --host is not on this machine to be sampled
            notes += record_stack_cpu(self.out / "figures.json", stages, timeline)
        with (self.out / "verdict.txt").open("a", encoding="utf-8") as verdict_file:
            verdict_file.write("\n".join(notes) + "\n")
        for line in (self.out / "verdict.txt").read_text(encoding="utf-8").splitlines()[1:]:
            console.print(line, soft_wrap=True)  # the spike's summary, the generator's share, the ceiling
        return verdict

    def _journey_figures(self, stages: list[Stage]) -> Callable[[list[StageFigures]], JourneyFigures]:
        """How the report gets the journey figures: from journeys.csv, durations on the stack's calendar."""
        from bus.flows import CalendarSettings, build_calendar

        assert self.journeys is not None
        calendar = build_calendar(CalendarSettings())
        calibration = JourneyCalibration(self.journeys)
        kinds = tuple(drawn(self.journeys))
        rates = sorted({stage.rate for stage in stages if stage.measured})
        multiples = ", ".join(f"{r:g}/s = ×{calibration.multiple(r, kinds):,.1f}" for r in rates)
        line = f"{calibration.line(kinds)}; this run: {multiples} that peak"
        rows = read_journeys(self.out / "journeys.csv")

        def working_hours(received: datetime, finished: datetime) -> float:
            return calendar.working_time_between(received, finished).total_seconds() / 3600

        return lambda request_stages: journey_figures(
            rows, stages, request_stages, self.slo, working_hours, line, self.min_on_time
        )

    def _stages_run(self) -> list[Stage]:
        """The schedule's stages, cut after the last one that ran to its end when the run stopped early."""
        stages = self.stages()
        if not self.until_slo_breaks:
            return stages
        with (self.out / "raw.csv").open(encoding="utf-8") as source:
            last = max((float(row["t"]) for row in csv.DictReader(source)), default=0.0)
        ran = [s for s in stages if s.end <= last + LATE_TICK]
        return ran or stages[:2]

    def _stack_pids(self, stack: Stack | None) -> dict[str, int]:
        """The started stack's processes, with the broker and Redis when they listen on this machine
        (a shared broker's CPU includes its other users' traffic)."""
        if stack is None:
            return {}
        pids = stack.pids()
        if self.amqp_url is not None:
            pids |= broker_pids([urlparse(self.amqp_url.split(",")[0]).port or 5672])
        if self.redis_url is not None:
            pids |= redis_pids([urlparse(self.redis_url).port or 6379])
        return pids

    def _drive(
        self, host: str, console: Console, portal_url: str | None, timeline: CpuTimeline
    ) -> GeneratorShare:
        stages = self.stages()
        total = stages[-1].end
        master_port = free_port() if self.locust_workers else None
        before = resource.getrusage(resource.RUSAGE_CHILDREN)  # Locust's processes are waited for below
        began = time.monotonic()
        with (self.out / "locust.log").open("wb") as log:
            locust = subprocess.Popen(
                self.locust_args(host, master_port, portal_url), stdout=log, stderr=subprocess.STDOUT
            )
            workers = [
                subprocess.Popen(self.worker_args(master_port), stdout=log, stderr=subprocess.STDOUT)
                for _ in range(self.locust_workers)
                if master_port is not None
            ]
            timeline.pids["locust"] = locust.pid
            timeline.pids |= {f"locust-worker-{i}": w.pid for i, w in enumerate(workers, start=1)}
            columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task("warming up", total=total)
                while locust.poll() is None:
                    elapsed = time.monotonic() - began
                    timeline.sample(elapsed)
                    stage = stage_at(stages, elapsed)
                    label = stage.label if stage else "finishing"
                    progress.update(
                        task, completed=min(elapsed, total), description=f"{label:>22} {_live(self.out)}"
                    )
                    try:
                        locust.wait(1.0)
                    except subprocess.TimeoutExpired:
                        pass
                    if elapsed > total + JOURNEY_DRAIN + 120:
                        locust.terminate()
            for worker in workers:  # the master's quit tells them to write their rows and leave
                try:
                    worker.wait(60)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        wall = time.monotonic() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if workers:
            merge_raw(sorted(self.out.glob("raw.csv.worker-*")), self.out / "raw.csv")
            started = JOURNEY_COLUMNS.index("started_t")
            merge_raw(sorted(self.out.glob("journeys.csv.worker-*")), self.out / "journeys.csv", started)
        if not (self.out / "raw.csv").exists():
            raise RuntimeError(f"Locust wrote no raw figures; see {self.out / 'locust.log'}")
        return GeneratorShare(1 + len(workers), cpu, wall, os.cpu_count() or 1)


def inject_faults(stack: Stack | None, faults: dict[str, dict[str, Any]], console: Console) -> None:
    """Change the started mocks' fault profiles (`PATCH /_control/faults`) before the load starts."""
    if stack is None:
        raise ValueError("faults are injected into the mocks of a stack this run starts, not into --host")
    for name, changes in faults.items():
        port = stack.mock_ports.get(name)
        if port is None:
            raise ValueError(f"no mock {name!r} in the started stack; mocks: {', '.join(stack.mock_ports)}")
        answer = httpx.patch(f"http://127.0.0.1:{port}/_control/faults", json=changes, timeout=10)
        if answer.status_code != 200:
            raise ValueError(f"mock {name} refused the faults {changes}: {answer.text[:300]}")
        console.print(f"faults injected into {name}: {changes}")


def fault_counts(stack: Stack, names: list[str]) -> dict[str, dict[str, int]]:
    """What each named mock injected during the run (its `/_control/faults` counters)."""
    counts: dict[str, dict[str, int]] = {}
    for name in names:
        answer = httpx.get(f"http://127.0.0.1:{stack.mock_ports[name]}/_control/faults", timeout=10)
        answer.raise_for_status()
        counts[name] = answer.json()["stats"]
    return counts


def merge_raw(parts: list[Path], target: Path, time_column: int = 0) -> None:
    """One raw CSV from the workers' files, rows in the order of their `time_column` (each worker's
    clock starts at the test's start, within milliseconds of the others)."""
    if not parts:
        return
    rows: list[list[str]] = []
    header: list[str] = []
    for part in parts:
        with part.open(encoding="utf-8", newline="") as source:
            reader = csv.reader(source)
            header = next(reader)
            rows.extend(reader)
    rows.sort(key=lambda row: float(row[time_column]))
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def record_stack_cpu(figures_json: Path, stages: list[Stage], timeline: CpuTimeline) -> list[str]:
    """Add each judged stage's CPU by process to figures.json (`stack_cpu`); lines for the verdict: the
    best stage meeting the SLO and the last stage run, when it missed it."""
    figures = json.loads(figures_json.read_text(encoding="utf-8"))
    by_label = {stage.label: stage for stage in stages}
    measured = [
        (judged, timeline.stage(by_label[judged["label"]], judged["achieved_tx_s"]))
        for judged in figures["stages"]
        if judged["label"] in by_label
    ]
    figures["stack_cpu"] = [cpu for _, cpu in measured if cpu is not None]
    figures_json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    met = [cpu for judged, cpu in measured if judged["meets_slo"] and cpu is not None]
    achieved = {judged["label"]: judged["achieved_tx_s"] for judged in figures["stages"]}
    shown = [max(met, key=lambda cpu: achieved[cpu["label"]])] if met else []
    if measured and not measured[-1][0]["meets_slo"] and measured[-1][1] is not None:
        shown.append(measured[-1][1])
    cores = os.cpu_count() or 1
    return [line for cpu in shown for line in (cpu_line(cpu), bound_line(cpu, cores))]


def ceiling_line(figures_json: Path, cap: float) -> str:
    """Where the climb stopped: the stage that broke the SLO and the last that met it, or that none broke."""
    stages = json.loads(figures_json.read_text(encoding="utf-8"))["stages"]
    met = [s["label"] for s in stages if s["meets_slo"]]
    if stages and not stages[-1]["meets_slo"]:
        below = f"; the highest stage meeting it: {met[-1]}" if met else "; no stage met it"
        return f"ceiling: stage {stages[-1]['label']} broke the SLO{below}"
    return (
        f"ceiling not reached: every stage up to the cap ({cap:g} scenarios/s) met the SLO: raise --max-level"
    )


def _live(out: Path) -> str:
    """Requests, failures and current rate from Locust's periodically written stats CSV."""
    try:
        with (out / "locust_stats.csv").open(encoding="utf-8") as source:
            total = [r for r in csv.DictReader(source) if r["Name"] == "Aggregated"]
    except (OSError, KeyError):
        return ""
    if not total:
        return ""
    row = total[0]
    return f"{row['Request Count']} req, {row['Failure Count']} failed, p99 {row['99%']} ms"
