"""Journey figures of a capacity run: per measured stage, journeys completed per hour, their p99 duration
in working time (the engine's working-day clock, not wall seconds) and the on-time rate (Decision 766
verdicts: early and on time count as on time, late does not).

A parked journey returned no result: Decision 766 counts it as not finished, judged against its
appointment, not by when it parked. One whose appointment had passed by the latest simulated time the
run saw is "open and already late" (among the judged, never on time); one not yet due is open within its
time and left out of the rate, counted apart.

Pure arithmetic over the journey rows, unit-tested. A journey belongs to the stage it was started in;
a stage's rate is its completed journeys over its wall length. Durations are of completed journeys,
from their reception to their finish, in working hours of `calendar`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

import numpy as np
from pydantic import BaseModel, computed_field

from loadtests.journey_recorder import JourneyRow
from loadtests.schedules import Stage
from loadtests.slo import Slo, StageFigures

ON_TIME = ("early", "on_time")
# (received, finished) → working hours between them
WorkingHours = Callable[[datetime, datetime], float]


class JourneyStage(BaseModel):
    """How the journeys started during one stage ended."""

    label: str
    seconds: float
    started: int
    completed: int
    refused: int
    parked: int
    unfinished: int
    completed_per_hour: float
    p50_working_hours: float | None
    p99_working_hours: float | None
    on_time: int
    judged: int  # finished with a verdict, and parked past their appointment (open and already late)
    parked_late: int = 0  # parked, their appointment passed: among the judged, not on time
    parked_open: int = 0  # parked, not yet due: open, not judged

    @computed_field  # type: ignore[prop-decorator]
    @property
    def on_time_rate(self) -> float | None:
        """Early or on time among the judged journeys (None: none was)."""
        return self.on_time / self.judged if self.judged else None


class JourneyFigures(BaseModel):
    """Per stage, the whole measured run, and the best stage meeting the requests' SLO."""

    calibration: str
    stages: list[JourneyStage]
    overall: JourneyStage
    kinds: dict[str, JourneyStage]  # the measured stages' journeys by kind
    at_slo: JourneyStage | None
    min_on_time: float  # the on-time rate a stage at SLO needed besides the requests' SLO (0: none)
    reasons: dict[str, int]

    def lines(self) -> list[str]:
        """The journey summary, a few readable lines."""
        lines = [self.calibration, "journeys, all measured stages: " + describe(self.overall)]
        lines += [f"  {kind}: " + describe(stage) for kind, stage in self.kinds.items()]
        lines += [f"  stage {stage.label}: " + describe(stage) for stage in self.stages]
        bound = f", on time ≥ {100 * self.min_on_time:g} %" if self.min_on_time else ""
        if self.at_slo is None:
            lines.append(f"journeys at SLO (requests' SLO{bound}): no stage met it")
        else:
            lines.append(f"journeys at SLO (stage {self.at_slo.label}{bound}): " + describe(self.at_slo))
        lines += [f"  parked/refused because {reason}: {n}" for reason, n in self.reasons.items()]
        return lines


def describe(stage: JourneyStage) -> str:
    """`12.0 journeys/h completed, p99 … working h, on time 95 % (19/20); started …`."""
    p99 = "-" if stage.p99_working_hours is None else f"{stage.p99_working_hours:.2f}"
    rate = stage.on_time_rate
    on_time = "-" if rate is None else f"{100 * rate:.1f} % ({stage.on_time}/{stage.judged})"
    if stage.parked:
        on_time += f" (parked: {stage.parked_late} past due counted late, {stage.parked_open} not yet due)"
    return (
        f"{stage.completed_per_hour:,.1f} journeys/h completed, p99 duration {p99} working hours, "
        f"on time {on_time}; started {stage.started}: completed {stage.completed}, refused {stage.refused}, "
        f"parked {stage.parked}, unfinished {stage.unfinished}"
    )


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def journey_stage(
    label: str,
    seconds: float,
    rows: list[JourneyRow],
    working_hours: WorkingHours,
    seen_until: datetime | None = None,
) -> JourneyStage:
    """The figures of `rows` (journeys started within `seconds` of wall time); a parked journey is judged
    against its appointment at `seen_until` (default: the latest simulated time among `rows`)."""
    ends = Counter(row.status for row in rows)
    durations = [
        working_hours(datetime.fromisoformat(row.received_at), datetime.fromisoformat(row.finished_at))
        for row in rows
        if row.status == "completed" and row.received_at and row.finished_at
    ]
    until = seen_until if seen_until is not None else latest_seen(rows)
    finished = [row for row in rows if row.ended_t is not None and row.verdict and row.status != "parked"]
    parked = [row for row in rows if row.status == "parked"]
    parked_late = sum(1 for row in parked if _past_due(row, until))
    completed = ends["completed"]
    return JourneyStage(
        label=label,
        seconds=seconds,
        started=len(rows),
        completed=completed,
        refused=ends["refused"],
        parked=ends["parked"],
        unfinished=sum(1 for row in rows if row.ended_t is None),
        completed_per_hour=round(3600 * completed / seconds, 1) if seconds > 0 else 0.0,
        p50_working_hours=_pct(durations, 50),
        p99_working_hours=_pct(durations, 99),
        on_time=sum(1 for row in finished if row.verdict in ON_TIME),
        judged=len(finished) + parked_late,
        parked_late=parked_late,
        parked_open=len(parked) - parked_late,
    )


def latest_seen(rows: list[JourneyRow]) -> datetime | None:
    """The latest simulated time the run saw a journey at (None: no row says)."""
    seen = [datetime.fromisoformat(row.as_of) for row in rows if row.as_of]
    return max(seen, default=None)


def _past_due(row: JourneyRow, until: datetime | None) -> bool:
    """Whether parked `row`'s appointment had passed at `until` (without a time seen: at its parking)."""
    if not row.due_at:
        return False
    at = until or (datetime.fromisoformat(row.finished_at) if row.finished_at else None)
    return at is not None and at > datetime.fromisoformat(row.due_at)


def journey_figures(
    rows: list[JourneyRow],
    stages: list[Stage],
    request_stages: list[StageFigures],
    slo: Slo,
    working_hours: WorkingHours,
    calibration: str,
    min_on_time: float = 0.0,
) -> JourneyFigures:
    """Every measured stage's journey figures, the run's, and those of the stage meeting the requests'
    SLO (and on time at least `min_on_time` of its journeys) with the most journeys completed per hour."""
    measured = [stage for stage in stages if stage.measured]
    until = latest_seen(rows)  # the run's end on the bus's clock, as near as the rows tell
    per_stage = [
        journey_stage(
            stage.label,
            stage.end - stage.start,
            [row for row in rows if stage.start <= row.started_t < stage.end],
            working_hours,
            until,
        )
        for stage in measured
    ]
    inside = [row for row in rows if any(s.start <= row.started_t < s.end for s in measured)]
    seconds = sum(s.end - s.start for s in measured)
    overall = journey_stage("all", seconds, inside, working_hours, until)
    kinds = {
        kind: journey_stage(kind, seconds, [row for row in inside if row.kind == kind], working_hours, until)
        for kind in sorted({row.kind for row in inside})
    }
    meeting = {figures.label for figures in request_stages if figures.meets(slo)}
    at_slo = max(
        (
            stage
            for stage in per_stage
            if stage.label in meeting and (min_on_time <= 0 or (stage.on_time_rate or 0.0) >= min_on_time)
        ),
        key=lambda stage: stage.completed_per_hour,
        default=None,
    )
    reasons = Counter(row.reason for row in inside if row.status in ("parked", "refused") and row.reason)
    return JourneyFigures(
        calibration=calibration,
        stages=per_stage,
        overall=overall,
        kinds=kinds,
        at_slo=at_slo,
        min_on_time=min_on_time,
        reasons=dict(reasons.most_common(5)),
    )
