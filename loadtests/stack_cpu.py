"""CPU of a started stack's processes, stage by stage of a capacity run: which component a climb
saturates, what each costs per transaction, and how loaded the machine was meanwhile — with each
process's run-queue wait (/proc/<pid>/schedstat): time it was ready to run but had no core, which tells
a process starved by the machine's other load from one that is busy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.bench.cpu import snapshot
from loadtests.schedules import Stage


def run_queue_wait(pid: int) -> float:
    """Seconds the threads of `pid` have waited, ready to run, for a core (0 when it is gone or unknown)."""
    waited = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            waited += int((task / "schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return waited / 1e9


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat; 0 when unreadable)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = sum(fields[3:5])  # idle, iowait; guest time is already counted in user
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuTimeline:
    """CPU seconds and run-queue waits of named processes, the 1-minute load average and the whole
    machine's busy CPU seconds, sampled as a run goes: (elapsed s, load average, CPU s by name, wait s by
    name, machine busy s)."""

    pids: dict[str, int]
    samples: list[tuple[float, float, dict[str, float], dict[str, float], float]] = field(
        default_factory=list
    )

    def sample(self, elapsed: float) -> None:
        """Record every process's CPU and wait seconds so far, the load average and the machine's busy
        seconds, `elapsed` s in."""
        waits = {name: run_queue_wait(pid) for name, pid in self.pids.items()}
        self.samples.append((elapsed, os.getloadavg()[0], snapshot(self.pids), waits, machine_busy_seconds()))

    def stage(self, stage: Stage, tx_s: float) -> dict[str, Any] | None:
        """Over the stage's judged window: each process's share of one core and CPU-µs per bus transaction
        (at `tx_s`), the components' total, the highest load average; None with fewer than two samples."""
        inside = [s for s in self.samples if stage.judged_from <= s[0] <= stage.end]
        if len(inside) < 2:
            return None
        (began, _, first, first_wait, first_busy), (ended, _, last, last_wait, last_busy) = (
            inside[0],
            inside[-1],
        )
        seconds = ended - began
        shares = {name: (last[name] - first.get(name, 0.0)) / seconds for name in last}
        waits = {name: (last_wait[name] - first_wait.get(name, 0.0)) / seconds for name in last_wait}
        shares = {name: share for name, share in sorted(shares.items(), key=lambda kv: -kv[1]) if share > 0}
        per_tx = {name: round(share / tx_s * 1e6) for name, share in shares.items()} if tx_s > 0 else {}
        return {
            "label": stage.label,
            "seconds": round(seconds, 1),
            "load_average": max(s[1] for s in inside),
            "core_share": {name: round(share, 3) for name, share in shares.items()},
            "run_queue_wait": {name: round(waits.get(name, 0.0), 3) for name in shares},
            "machine_cores_busy": round((last_busy - first_busy) / seconds, 3),
            "cpu_us_per_tx": per_tx,
            "total_cpu_us_per_tx": sum(per_tx.values()),
        }


def bound_line(figures: dict[str, Any], cores: int) -> str:
    """Whether a stage was short of CPU: bound by the stack's own work (it ran most of the machine's
    cores), starved by the machine's other load (it waited for a core longer than it ran while other
    processes kept a quarter of the cores or more busy), queued behind its own processes (it waited as
    long, the others being idle), or neither."""
    ran = sum(figures["core_share"].values())
    waited = sum(figures["run_queue_wait"].values())
    summary = f"stage {figures['label']}: the stack's processes ran {ran:.2f} of the {cores} cores"
    if ran >= 0.75 * cores:
        return f"{summary}: bound by CPU, its own work"
    if waited <= ran:
        return f"{summary}: not short of CPU"
    others = max(0.0, figures["machine_cores_busy"] - ran)
    queued = f"{summary} and waited {waited:.2f} for one while other processes ran {others:.2f}"
    if others >= 0.25 * cores:
        return f"{queued}: starved by the machine's other load"
    return f"{queued}: its processes queued behind each other (bursts), the machine near its own limit"


def cpu_line(figures: dict[str, Any]) -> str:
    """One stage's figures as a line: its load average, then each process's CPU share, µs/tx and
    run-queue wait (the share of the time it waited for a core) for processes above 1 % of a core."""
    parts = ", ".join(
        f"{name} {100 * share:.0f} % ({figures['cpu_us_per_tx'].get(name, 0):,} µs/tx, "
        f"waited {100 * figures['run_queue_wait'].get(name, 0):.0f} %)"
        for name, share in figures["core_share"].items()
        if share >= 0.01
    )
    return (
        f"stack CPU at stage {figures['label']} (load average ≤ {figures['load_average']:.1f}): {parts}; "
        f"total {figures['total_cpu_us_per_tx']:,} CPU-µs/tx"
    )
