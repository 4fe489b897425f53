"""CPU of the stack by stage: shares of a core and µs per transaction over a stage's judged window."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from loadtests.capacity import record_stack_cpu
from loadtests.schedules import Stage
from loadtests.stack_cpu import CpuTimeline, bound_line, cpu_line, run_queue_wait

STAGE = Stage(10.0, 30.0, 100.0, "100 tx/s")  # judged from 15 s


def timeline() -> CpuTimeline:
    series = CpuTimeline({})
    series.samples = [
        (12.0, 9.0, {"gateway": 0.0, "worker-1": 0.0}, {}, 0.0),  # before the judged window: ignored
        (15.0, 2.0, {"gateway": 1.0, "worker-1": 2.0}, {"gateway": 1.0, "worker-1": 1.0}, 100.0),
        (25.0, 3.5, {"gateway": 4.0, "worker-1": 8.0}, {"gateway": 5.0, "worker-1": 2.0}, 115.0),
        (31.0, 9.0, {"gateway": 9.0, "worker-1": 9.0}, {}, 200.0),  # after the stage: ignored
    ]
    return series


def test_a_stage_shows_each_process_share_and_cost_per_transaction() -> None:
    figures = timeline().stage(STAGE, tx_s=200.0)
    assert figures is not None
    assert figures["core_share"] == {"worker-1": 0.6, "gateway": 0.3}
    assert figures["cpu_us_per_tx"] == {"worker-1": 3000, "gateway": 1500}
    assert (figures["total_cpu_us_per_tx"], figures["load_average"]) == (4500, 3.5)
    assert figures["run_queue_wait"] == {"worker-1": 0.1, "gateway": 0.4}
    assert figures["machine_cores_busy"] == 1.5
    line = cpu_line(figures)
    assert "load average ≤ 3.5" in line and "total 4,500" in line
    assert "worker-1 60 % (3,000 µs/tx, waited 10 %), gateway 30 % (1,500 µs/tx, waited 40 %)" in line


def test_the_run_queue_wait_of_a_process_is_read_and_grows_only() -> None:
    before = run_queue_wait(os.getpid())
    assert 0 <= before <= run_queue_wait(os.getpid())
    assert run_queue_wait(2**22 + 1) == 0  # beyond the kernel's highest pid: no such process


def test_a_stage_with_fewer_than_two_samples_has_no_figures() -> None:
    assert timeline().stage(Stage(40.0, 60.0, 1.0, "late"), tx_s=1.0) is None


def test_figures_json_gets_every_stage_and_the_verdict_the_best_and_the_breaking_one(tmp_path: Path) -> None:
    broken = Stage(30.0, 50.0, 200.0, "200 tx/s")
    series = timeline()
    series.samples += [
        (35.0, 4.0, {"gateway": 10.0, "worker-1": 10.0}, {}, 210.0),
        (50.0, 4.0, {"gateway": 22.0, "worker-1": 11.0}, {}, 240.0),
    ]
    path = tmp_path / "figures.json"
    stages = [
        {"label": "100 tx/s", "achieved_tx_s": 200.0, "meets_slo": True},
        {"label": "200 tx/s", "achieved_tx_s": 240.0, "meets_slo": False},
    ]
    path.write_text(json.dumps({"stages": stages}))
    lines = record_stack_cpu(path, [STAGE, broken], series)
    assert [line.split(" (")[0] for line in lines[::2]] == [
        "stack CPU at stage 100 tx/s",
        "stack CPU at stage 200 tx/s",
    ]
    assert [line.split(":")[0] for line in lines[1::2]] == ["stage 100 tx/s", "stage 200 tx/s"]
    assert [cpu["label"] for cpu in json.loads(path.read_text())["stack_cpu"]] == ["100 tx/s", "200 tx/s"]


@pytest.mark.parametrize(
    ("ran", "waited", "busy", "verdict"),
    [(1.6, 0.5, 1.9, ": bound by CPU, its own work"),
     (0.8, 1.4, 1.8, " and waited 1.40 for one while other processes ran 1.00:"
                     " starved by the machine's other load"),
     (1.4, 2.5, 1.5, " and waited 2.50 for one while other processes ran 0.10:"
                     " its processes queued behind each other (bursts), the machine near its own limit"),
     (0.4, 0.1, 1.9, ": not short of CPU")],
)  # fmt: skip
def test_a_stage_is_named_bound_by_the_stack_starved_by_others_queued_behind_itself_or_neither(
    ran: float, waited: float, busy: float, verdict: str
) -> None:
    figures = {
        "label": "200 tx/s",
        "core_share": {"gateway": ran},
        "run_queue_wait": {"gateway": waited},
        "machine_cores_busy": busy,
    }
    line = bound_line(figures, cores=2)
    assert line == f"stage 200 tx/s: the stack's processes ran {ran:.2f} of the 2 cores{verdict}"
