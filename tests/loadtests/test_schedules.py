"""Load schedules: steps held in order after an unmeasured warm-up, the working day's peaks, the spike."""

from __future__ import annotations

from itertools import pairwise

import pytest

from loadtests.schedules import DAY_PROFILE, build, spike, stage_at, step, workday


def test_step_holds_each_level_in_order_after_an_unmeasured_warm_up() -> None:
    stages = step((1, 5, 10), hold=20, warmup=10)
    assert [s.measured for s in stages] == [False, True, True, True]
    assert [s.rate for s in stages[1:]] == [1, 5, 10]
    assert all(s.end - s.start == 20 for s in stages[1:])
    assert stages[1].start == 10 and stages[-1].end == 70


def test_judging_starts_after_a_stage_has_settled() -> None:
    stage = step((5,), hold=40)[1]
    assert stage.start < stage.judged_from < stage.end


def test_workday_has_monday_morning_and_month_end_peaks_and_a_lunch_dip() -> None:
    warm_up, *days = workday(10, day_seconds=len(DAY_PROFILE))
    assert not warm_up.measured and all(s.measured for s in days)
    monday, ordinary, month_end = days[:18], days[18:36], days[36:]
    assert [s.label for s in (monday[0], ordinary[8], month_end[-1])] == [
        "Monday 08:00",
        "ordinary day 12:00",
        "month-end 16:30",
    ]
    assert monday[0].rate == 2.5 * ordinary[0].rate and monday[4].rate == ordinary[4].rate
    assert monday[0].rate > ordinary[0].rate
    assert min(s.rate for s in ordinary) == ordinary[8].rate  # 12:00, the lunch dip
    assert all(m.rate == pytest.approx(2 * o.rate) for m, o in zip(month_end, ordinary, strict=True))


def test_spike_returns_to_baseline() -> None:
    warm_up, before, peak, after = spike(5, factor=10, seconds=10, warmup=5)
    assert not warm_up.measured and (before.start, peak.start, after.start, after.end) == (5, 15, 25, 35)
    assert peak.rate == 50 and before.rate == after.rate == 5


def test_every_shape_starts_with_an_unmeasured_warm_up_and_runs_without_gaps() -> None:
    for shape in ("steady", "step", "workday", "spike"):
        stages = build(shape, 4, 30, (1, 2))
        assert not stages[0].measured and stages[0].start == 0, shape
        assert all(s.measured for s in stages[1:]), shape
        assert all(a.end == b.start for a, b in pairwise(stages)), shape


def test_stage_at_finds_the_running_stage_and_none_after_the_end() -> None:
    stages = step((1, 2), hold=10, warmup=5)
    assert stage_at(stages, 6) is stages[1]
    assert stage_at(stages, 25) is None


def test_unknown_shape_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="steady, step, workday, spike"):
        build("ramp", 1, 1)
