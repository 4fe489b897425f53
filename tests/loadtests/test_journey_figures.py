"""Journey figures of a capacity run from known journey rows: rates, working-time p99, on-time rate."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bus.flows import WorkingCalendar
from loadtests.journey_figures import describe, journey_figures, journey_stage
from loadtests.journey_recorder import JourneyRecorder, JourneyRow, read_journeys
from loadtests.schedules import Stage
from loadtests.slo import Slo, StageFigures

CALENDAR = WorkingCalendar()
MONDAY = datetime.fromisoformat("2026-03-02T08:00:00+07:00")  # 2 March 2026: no holiday that week


def working_hours(received: datetime, finished: datetime) -> float:
    return CALENDAR.working_time_between(received, finished).total_seconds() / 3600


def row(
    t: float,
    status: str = "completed",
    verdict: str = "early",
    hours: float = 8.0,
    kind: str = "birth",
    due_hours: float = 40.0,
) -> JourneyRow:
    """A journey started at wall second `t`, received Monday 08:00, finished `hours` office hours later
    (and seen then), due `due_hours` office hours after its reception."""
    finished = CALENDAR.add_working_time(MONDAY, timedelta(hours=hours))
    due = CALENDAR.add_working_time(MONDAY, timedelta(hours=due_hours))
    ended = status != "running"
    return JourneyRow(
        kind, f"j{t}", t, t + 10 if ended else None, status, verdict if ended else "",
        MONDAY.isoformat(), finished.isoformat() if ended else "", "", due.isoformat(),
        finished.isoformat(),
    )  # fmt: skip


def request_stage(label: str, p99_ms: float) -> StageFigures:
    return StageFigures(
        label=label, target_tx_s=1, seconds=10, requests=100, failures=0, achieved_tx_s=10,
        p50_ms=1, p95_ms=1, p99_ms=p99_ms,
    )  # fmt: skip


def test_a_stage_counts_its_ends_rate_durations_in_working_time_and_on_time_share() -> None:
    rows = [
        row(1, hours=8), row(2, hours=16), row(3, hours=24, verdict="on_time"),
        row(4, hours=40, verdict="late"),
        row(5, "refused", verdict="early", hours=2), row(6, "parked", verdict="late", due_hours=4),
        row(7, "running"),
    ]  # fmt: skip
    stage = journey_stage("s", 36.0, rows, working_hours)
    assert (stage.started, stage.completed, stage.refused, stage.parked, stage.unfinished) == (7, 4, 1, 1, 1)
    assert stage.completed_per_hour == 400.0  # 4 in 36 s
    # Durations of the completed only: 8, 16, 24, 40 working hours (a Monday 08:00 start crosses nights).
    assert stage.p50_working_hours == pytest.approx(20.0)
    assert stage.p99_working_hours == pytest.approx(24 + 0.97 * 16)  # numpy's linear interpolation
    # Verdicts of the six that ended: early, early, on time, late, early (refused), and the parked one
    # open past its appointment (due after 4 office hours, the run saw 40): late.
    assert (stage.on_time, stage.judged, stage.parked_late, stage.parked_open) == (4, 6, 1, 0)
    assert stage.on_time_rate == pytest.approx(4 / 6)


def test_parked_journeys_are_never_on_time_past_due_they_count_late_not_yet_due_they_stay_open() -> None:
    """A parked journey returned no result (Decision 766: not finished), whatever verdict the engine
    gave it when it parked: judged against its appointment at the latest time the run saw."""
    rows = [
        row(1, hours=8),  # completed early, seen at 8 office hours
        row(2, "parked", verdict="early", hours=4, due_hours=16),  # parked early; due by 30: late
        row(3, "parked", verdict="early", hours=4, due_hours=40),  # parked early; not yet due at 30
        row(4, hours=30, verdict="early"),  # the latest seen: 30 office hours after Monday 08:00
    ]
    stage = journey_stage("s", 10.0, rows, working_hours)
    assert (stage.parked, stage.parked_late, stage.parked_open) == (2, 1, 1)
    assert (stage.on_time, stage.judged) == (2, 3)  # not "4/4": the parked are not on time
    assert "1 past due counted late, 1 not yet due" in describe(stage)

    seen_later = CALENDAR.add_working_time(MONDAY, timedelta(hours=48))
    later = journey_stage("s", 10.0, rows, working_hours, seen_later)
    assert (later.parked_late, later.parked_open, later.on_time, later.judged) == (2, 0, 2, 4)


def test_a_stage_without_ended_journeys_has_no_duration_or_rate() -> None:
    stage = journey_stage("s", 10.0, [row(1, "running")], working_hours)
    assert stage.p99_working_hours is None and stage.on_time_rate is None and stage.completed_per_hour == 0


def test_journeys_belong_to_the_stage_they_started_in_and_the_slo_picks_the_best_meeting_stage() -> None:
    stages = [Stage(0, 10, 1, "warm-up", False), Stage(10, 20, 1, "1 tx/s"), Stage(20, 30, 2, "2 tx/s")]
    rows = [row(5), row(12), row(15, verdict="late"), row(21), row(22), row(25), row(29, "running")]
    figures = journey_figures(
        rows, stages, [request_stage("1 tx/s", 100), request_stage("2 tx/s", 100)], Slo(p99_ms=500),
        working_hours, "calibration line",
    )  # fmt: skip
    assert [(s.label, s.started, s.completed) for s in figures.stages] == [("1 tx/s", 2, 2), ("2 tx/s", 4, 3)]
    assert figures.overall.started == 6  # the warm-up's journey left out
    assert figures.at_slo is not None and figures.at_slo.label == "2 tx/s"
    assert figures.at_slo.completed_per_hour == 3 * 360
    # The busier stage missing the SLO leaves the quieter one as the figure at SLO.
    missed = journey_figures(
        rows, stages, [request_stage("1 tx/s", 100), request_stage("2 tx/s", 900)], Slo(p99_ms=500),
        working_hours, "calibration line",
    )  # fmt: skip
    assert missed.at_slo is not None and missed.at_slo.label == "1 tx/s"
    # Asking 90 % on time as well: the 2 tx/s stage's three ended journeys were on time (kept); with
    # its requests missing the SLO, the 1 tx/s stage (1 of 2 on time) is not enough for 70 %.
    strict = journey_figures(
        rows, stages, [request_stage("1 tx/s", 100), request_stage("2 tx/s", 100)], Slo(p99_ms=500),
        working_hours, "calibration line", min_on_time=0.9,
    )  # fmt: skip
    assert strict.at_slo is not None and strict.at_slo.label == "2 tx/s"
    none = journey_figures(
        rows, stages, [request_stage("1 tx/s", 100), request_stage("2 tx/s", 900)], Slo(p99_ms=500),
        working_hours, "calibration line", min_on_time=0.7,
    )  # fmt: skip
    assert none.at_slo is None
    assert none.lines()[-1] == "journeys at SLO (requests' SLO, on time ≥ 70 %): no stage met it"
    lines = missed.lines()
    assert lines[0] == "calibration line"
    assert "journeys at SLO (stage 1 tx/s): 720.0 journeys/h completed" in lines[-1]
    assert any(line.startswith("  birth: ") for line in lines)


def test_the_recorders_csv_reads_back_as_written(tmp_path: Path) -> None:
    recorder = JourneyRecorder()
    ended = recorder.start("death", "j-1")
    recorder.start("birth", "j-2")
    ended.end(3.5, {"status": "refused", "verdict": "early", "received_at": "a", "finished_at": "b",
                    "reason": "step x refused"})  # fmt: skip
    recorder.write(tmp_path / "journeys.csv")
    back = read_journeys(tmp_path / "journeys.csv")
    assert back == recorder.rows
    assert back[1].ended_t is None and back[0].ended_t == 3.5
