"""`lgsp capacity`: start (or target) a stack, drive it with Locust headless, write the report folder."""

from __future__ import annotations

import csv
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from loadtests.report import write_report
from loadtests.schedules import STEP_LEVELS, Stage, build, stage_at
from loadtests.slo import Slo, Verdict
from loadtests.stack import Stack, StackPlan, locust_command

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


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

    def stages(self) -> list[Stage]:
        """The schedule Locust will follow."""
        return build(self.shape, self.rate, self.seconds, self.levels)

    def locust_args(self, host: str) -> list[str]:
        """The headless Locust command line."""
        return [
            *locust_command(),
            "-f", str(LOCUSTFILE), "--headless", "--host", host, "--only-summary",
            "--csv", str(self.out / "locust"), "--html", str(self.out / "locust.html"),
            "--lgsp-shape", self.shape, "--lgsp-rate", str(self.rate), "--lgsp-seconds", str(self.seconds),
            "--lgsp-levels", ",".join(f"{x:g}" for x in self.levels), "--lgsp-user-rate", str(self.user_rate),
            "--lgsp-raw", str(self.out / "raw.csv"),
            "--slo-p99-ms", str(self.slo.p99_ms), "--slo-error-rate", str(self.slo.max_error_ratio),
        ]  # fmt: skip

    def execute(self, console: Console) -> Verdict:
        """Run the whole thing, showing progress; returns the verdict (report written to `out`)."""
        self.out.mkdir(parents=True, exist_ok=True)
        stack: Stack | None = None
        host = self.host
        if host is None:
            console.print("starting the stack…")
            plan = StackPlan(self.out / "stack", amqp_url=self.amqp_url, latency=self.latency)
            stack = plan.start()
            host = stack.gateway_url
        try:
            console.print(f"driving {host} with the {self.shape} shape")
            self._drive(host, console)
        finally:
            if stack is not None:
                stack.stop()
        run: dict[str, Any] = {
            "shape": self.shape, "rate": self.rate, "seconds": self.seconds, "levels": list(self.levels),
            "host": host if self.host else "started by lgsp capacity", "latency": self.latency,
            "transport": "amqp" if self.amqp_url else "memory",
        }  # fmt: skip
        verdict = write_report(
            self.out, self.out / "raw.csv", self.stages(), self.slo, self.required_tx_s, run
        )
        for line in (self.out / "verdict.txt").read_text(encoding="utf-8").splitlines()[1:]:
            console.print(line)  # the spike's summary, when the shape had one
        return verdict

    def _drive(self, host: str, console: Console) -> None:
        stages = self.stages()
        total = stages[-1].end
        with (self.out / "locust.log").open("wb") as log:
            locust = subprocess.Popen(self.locust_args(host), stdout=log, stderr=subprocess.STDOUT)
            columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task("warming up", total=total)
                began = time.monotonic()
                while locust.poll() is None:
                    elapsed = time.monotonic() - began
                    stage = stage_at(stages, elapsed)
                    label = stage.label if stage else "finishing"
                    progress.update(
                        task, completed=min(elapsed, total), description=f"{label:>22} {_live(self.out)}"
                    )
                    try:
                        locust.wait(1.0)
                    except subprocess.TimeoutExpired:
                        pass
                    if elapsed > total + 120:
                        locust.terminate()
        if not (self.out / "raw.csv").exists():
            raise RuntimeError(f"Locust wrote no raw figures; see {self.out / 'locust.log'}")


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
