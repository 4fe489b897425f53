"""Climbing until the SLO breaks, the generator's share of the machine, the workers' raw rows merged."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loadtests.capacity import merge_raw
from loadtests.ceiling import CeilingWatch, Counters, climbing_levels, window_p99
from loadtests.generator_share import GeneratorShare
from loadtests.schedules import step


def test_levels_climb_by_the_factor_up_to_the_cap_inclusive() -> None:
    assert climbing_levels((10, 20), cap=50) == (10, 20, 30, 45, 50)
    assert climbing_levels((10,), cap=10) == (10,)
    with pytest.raises(ValueError):
        climbing_levels((10, 100), cap=50)


def test_window_p99_counts_only_the_responses_between_two_histograms() -> None:
    before = {5: 1000}  # many fast answers earlier must not hide the slow window
    after = {5: 1000, 10: 98, 900: 2}
    assert window_p99(before, after) == 900  # 2 % of the window's 100 responses took 900 ms
    assert window_p99({5: 3}, {5: 3}) == 0.0


def _feed(watch: CeilingWatch, stages: list, counters_at: dict[float, Counters]) -> float | None:
    """Tick each second; return the second the watch said stop (None if it never did)."""
    current = Counters(0, 0, {})
    for second in range(int(stages[-1].end) + 2):
        current = counters_at.get(second, current)
        stage = next((s for s in stages if s.start <= second < s.end), None)
        if watch.should_stop(stage, second, lambda c=current: c):
            return second
    return None


def test_the_watch_stops_at_the_end_of_the_first_stage_missing_the_slo() -> None:
    stages = step((1, 2, 3), hold=10, warmup=10)  # judged from 12.5, 22.5, 32.5
    fast = Counters(100, 0, {20: 100})
    faster = Counters(150, 0, {20: 150})
    slow = Counters(250, 0, {20: 150, 2000: 100})
    watch = CeilingWatch(p99_ms=1000, max_error_ratio=0.01)
    stopped = _feed(watch, stages, {12: fast, 18: faster, 25: slow})
    assert stopped == 30 and watch.broken == "2 tx/s"


def test_a_stage_whose_judged_window_no_tick_caught_is_judged_from_its_start() -> None:
    stages = step((1, 2), hold=4, warmup=2)  # the 1 tx/s stage: 2-6 s, judged from 3 s
    watch = CeilingWatch(p99_ms=1000, max_error_ratio=0.01)
    slow = Counters(40, 0, {2000: 40})
    # The master's ticks came at 2 s and then only at 6 s: none inside the judged window.
    assert not watch.should_stop(stages[1], 2, lambda: Counters(0, 0, {}))
    assert watch.should_stop(stages[2], 6, lambda: slow) and watch.broken == "1 tx/s"


def test_the_watch_lets_a_run_that_meets_the_slo_finish() -> None:
    stages = step((1, 2), hold=10, warmup=10)
    counters = {s: Counters(10 * s, 0, {20: 10 * s}) for s in range(40)}
    assert _feed(CeilingWatch(1000, 0.01), stages, counters) is None


def test_errors_above_the_bound_break_a_stage_too() -> None:
    stages = step((1, 2), hold=10, warmup=10)
    counters = {12: Counters(100, 0, {20: 100}), 19: Counters(200, 5, {20: 200})}
    watch = CeilingWatch(1000, 0.001)
    assert _feed(watch, stages, counters) == 20 and watch.broken == "1 tx/s"


def test_generator_share_is_cpu_over_wall_times_cores_and_warns_past_a_quarter() -> None:
    calm = GeneratorShare(processes=3, cpu_s=10.0, wall_s=20.0, cores=4)
    assert calm.share == pytest.approx(0.125) and not calm.too_much
    assert "WARNING" not in calm.line() and "3 Locust processes" in calm.line()
    busy = GeneratorShare(processes=1, cpu_s=12.0, wall_s=20.0, cores=2)
    assert busy.share == pytest.approx(0.3) and busy.too_much
    assert "WARNING" in busy.line() and busy.as_dict()["warning"] is True


def test_workers_raw_rows_are_merged_in_time_order(tmp_path: Path) -> None:
    header = ["t", "name", "ms", "ok", "fault"]
    for index, times in enumerate(([0.5, 2.0], [0.1, 1.0, 3.0])):
        with (tmp_path / f"raw.csv.worker-{index}").open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([[t, "Echo", 1.0, 1, ""] for t in times])
    merge_raw(sorted(tmp_path.glob("raw.csv.worker-*")), tmp_path / "raw.csv")
    with (tmp_path / "raw.csv").open() as source:
        rows = list(csv.DictReader(source))
    assert [float(r["t"]) for r in rows] == [0.1, 0.5, 1.0, 2.0, 3.0]
