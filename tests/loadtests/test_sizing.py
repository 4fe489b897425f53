"""Sizing arithmetic: volumes with suffixes, peak rates, cores per component; costs from a bench JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lgsp.cli import app
from loadtests.measured_costs import NoSuchCase, from_bench_json
from loadtests.sizing import Assumptions, BadVolume, Volume, parse_volume, peak_tx_s, plan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50M", Volume(50e6, "year")),
        ("50M/year", Volume(50e6, "year")),
        ("1.6M/day", Volume(1.6e6, "day")),
        ("21m/d", Volume(21e6, "day")),
        ("120k/day", Volume(120e3, "day")),
        ("50,000,000", Volume(50e6, "year")),
        ("2B", Volume(2e9, "year")),
    ],
)
def test_volumes_accept_suffixes_and_periods(text: str, expected: Volume) -> None:
    assert parse_volume(text) == expected


@pytest.mark.parametrize("text", ["", "fifty", "21x/day", "5M/week", "0", "-3M"])
def test_a_malformed_volume_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(BadVolume):
        parse_volume(text)


def test_yearly_volume_is_spread_over_working_days_and_hours_then_peaked() -> None:
    assumptions = Assumptions(peak_factor=2, working_days=250, working_hours=10, working_hours_share=1.0)
    mean, peak = peak_tx_s(Volume(90e6, "year"), assumptions)
    assert mean == pytest.approx(90e6 / 250 / 36_000)  # 10 tx/s
    assert peak == pytest.approx(20.0)


def test_a_daily_volume_is_one_working_day() -> None:
    assumptions = Assumptions(peak_factor=1, working_hours=8, working_hours_share=0.8)
    mean, _ = peak_tx_s(Volume(1.44e6, "day"), assumptions)
    assert mean == pytest.approx(1.44e6 * 0.8 / 28_800)  # 40 tx/s


def test_cores_are_busy_cores_over_utilisation_plus_headroom_rounded_up() -> None:
    assumptions = Assumptions(peak_factor=1, working_hours=10, working_hours_share=1.0,
                              target_utilisation=0.5, headroom=0.25)  # fmt: skip
    # 1,000 tx/s for 10 hours = 36 M a day
    sized = plan(Volume(36e6, "day"), {"gateway": 2000.0, "worker": 500.0, "broker": None}, assumptions)
    rows = {row.component: row for row in sized.components}
    assert sized.peak_tx_s == pytest.approx(1000)
    assert rows["gateway"].busy_cores == pytest.approx(2.0) and rows["gateway"].cores == 5  # 2 / 0.5 × 1.25
    assert rows["worker"].busy_cores == pytest.approx(0.5) and rows["worker"].cores == 2  # 1.25 → 2
    assert rows["broker"].cores is None and rows["redis"].cores is None  # not measured: not guessed
    assert sized.total_cores == 7
    assert sized.shared_cores == 7  # 2.5 busy / 0.5 × 1.25 = 6.25 → 7


def test_a_small_volume_still_gets_one_core_per_component() -> None:
    sized = plan(Volume(1000, "year"), {"gateway": 1000.0}, Assumptions())
    assert [row.cores for row in sized.components] == [1, None, None, None]


def test_unknown_components_and_impossible_assumptions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown component"):
        plan(Volume(1, "year"), {"mocks": 10.0}, Assumptions())
    with pytest.raises(ValueError, match="target utilisation"):
        Assumptions(target_utilisation=1.5)


def _bench_json(folder: Path) -> Path:
    load = {"requests": 1000}
    document = {
        "generated": "2026-12-06T01:00:00+00:00",
        "results": [
            {"case": "bus population verify on amqp, 1 worker process", "load": load,
             "cpu_s": {"gateway": 2.0, "worker-1": 1.5, "mock-population": 0.7, "rabbitmq-7": 1.0}},
            {"case": "bus echo on amqp + Redis, 2 gateway processes", "load": load,
             "cpu_s": {"gateway": 0.0, "gateway.1": 0.6, "gateway.2": 0.6, "redis-9": 0.25}},
        ],
    }  # fmt: skip
    path = folder / "bench.json"
    path.write_text(json.dumps(document))
    return path


def test_costs_from_a_bench_json_by_component_leaving_the_mocks_out(tmp_path: Path) -> None:
    costs = from_bench_json(_bench_json(tmp_path))
    assert costs.cpu_us_per_tx == {"gateway": 2000.0, "worker": 1500.0, "broker": 1000.0, "redis": 250.0}
    assert "Redis from case 'bus echo on amqp + Redis, 2 gateway processes'" in costs.source
    members = from_bench_json(_bench_json(tmp_path), "bus echo on amqp + Redis, 2 gateway processes")
    assert members.cpu_us_per_tx["gateway"] == 1200.0  # both members of the process group
    with pytest.raises(NoSuchCase, match="it has: bus population verify"):
        from_bench_json(_bench_json(tmp_path), "no such case")


def test_capacity_plan_command_prints_assumptions_and_cores(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["capacity", "plan", "--tx-per-year", "21M/day", "--from", str(_bench_json(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "21 M transactions a day" in result.output and "peak factor 3" in result.output
    assert "gateway" in result.output and "total, sharing machines" in result.output
    refused = CliRunner().invoke(app, ["capacity", "plan", "--tx-per-year", "lots"])
    assert refused.exit_code == 2
