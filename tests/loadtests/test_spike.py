"""Spike figures: peak rate, before/during errors and p99, recovery time, from known rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loadtests.figures import Rows
from loadtests.recorder import DIRECT_PREFIX
from loadtests.report import write_report
from loadtests.schedules import spike
from loadtests.slo import Slo
from loadtests.spike import spike_figures

STAGES = spike(2, factor=5, seconds=10, warmup=2)  # warm-up 0-2, before 2-12, spike 12-22, after 22-32


def _rows(rows: list[tuple[float, str, float, int, str]]) -> Rows:
    return Rows(
        t=np.array([r[0] for r in rows]),
        name=np.array([r[1] for r in rows], dtype=object),
        ms=np.array([r[2] for r in rows]),
        ok=np.array([r[3] for r in rows]),
        fault=np.array([r[4] for r in rows], dtype=object),
    )


def _run() -> list[tuple[float, str, float, int, str]]:
    """2 tx/s at 10 ms before; 10 tx/s at 200 ms in the spike, 1 in 10 failing; slow until 26 s, then fast."""
    rows: list[tuple[float, str, float, int, str]] = []
    rows += [(t / 2, "VERIFY", 10.0, 1, "") for t in range(0, 24)]
    rows += [
        (12 + t / 10, "VERIFY", 200.0, int(t % 10 != 0), "" if t % 10 else "Server.Bus.Timeout")
        for t in range(100)
    ]
    rows += [(22 + t / 2, "VERIFY", 300.0 if t < 8 else 10.0, 1, "") for t in range(20)]
    rows += [(12.05, f"{DIRECT_PREFIX}PayGov payment page", 5000.0, 1, "")] * 30  # not through the bus
    return sorted(rows)


def test_spike_figures_give_peak_errors_p99_and_recovery() -> None:
    figures = spike_figures(_rows(_run()), STAGES)
    assert figures is not None
    assert figures.target_tx_s == 10 and figures.peak_tx_s == 10
    assert figures.before_error_ratio == 0 and figures.before_p99_ms == 10
    assert figures.spike_requests == 100 and figures.spike_error_ratio == 0.1 and figures.spike_p99_ms == 200
    assert figures.recovery_s == 6  # slices 22-24, 24-26 slow; 26-28 back at 10 ms
    assert figures.spike_tx_s == 10 and "100 requests (10 tx/s)" in figures.lines()[1]
    assert "within 6 s" in figures.lines()[2]


def test_a_spike_that_never_recovers_says_so() -> None:
    rows = [r if r[0] < 22 else (r[0], r[1], 300.0, 1, "") for r in _run()]
    figures = spike_figures(_rows(rows), STAGES)
    assert figures is not None and figures.recovery_s is None
    assert "not back" in figures.lines()[2]


def test_other_shapes_have_no_spike_figures() -> None:
    assert spike_figures(_rows(_run()), STAGES[:2]) is None


def test_report_folder_of_a_spike_run_has_every_file_and_the_spike_section(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("t,name,ms,ok,fault\n" + "".join(f"{t},{n},{ms},{ok},{f}\n" for t, n, ms, ok, f in _run()))
    verdict = write_report(tmp_path, raw, STAGES, Slo(p99_ms=250), 1.0, {"shape": "spike"})
    names = {"throughput.png", "latency.png", "errors.png", "services.png", "index.html"}
    assert names | {"figures.json", "stages.csv", "verdict.txt"} <= {p.name for p in tmp_path.iterdir()}
    assert verdict.passed and verdict.sustained_stage == "before"  # the spike's 10 % errors miss the SLO
    text = (tmp_path / "verdict.txt").read_text(encoding="utf-8").splitlines()
    assert text[0] == verdict.line() and text[1].startswith("Spike: peak 10 tx/s")
    assert "<h2>Spike</h2>" in (tmp_path / "index.html").read_text(encoding="utf-8")
