"""The Journeys view's reader over the journey engine (bus.flows): its records in the view's shape.

A step's time taken is office time on the engine's working calendar (working days and hours, as its
deadline is counted), not the simulated seconds between its start and finish.

An engine's verdicts (Decision 766: early, on time, late, open, open and late) become the view's
on-time flag: early and on time are on time, late and open-late are not, open is not yet known.
"""

from __future__ import annotations

from bus.dashboard.journeys import JourneyStep, JourneySummary, JourneyTimeline, describe_working_time
from bus.flows.journey_records import JourneyRecord, StepRecord
from bus.flows.journeys import Journeys, UnknownJourney
from bus.flows.timeliness import Verdict
from vn_calendar import WorkingCalendar

ON_TIME = {Verdict.EARLY: True, Verdict.ON_TIME: True, Verdict.LATE: False, Verdict.OPEN_LATE: False}


def on_time(verdict: Verdict | None) -> bool | None:
    """True on or before the deadline, False past it, None while open and not yet late."""
    return None if verdict is None else ON_TIME.get(verdict)


def summary(record: JourneyRecord) -> JourneySummary:
    """One journey as the list shows it."""
    return JourneySummary(
        id=record.journey_id,
        procedure=record.kind,
        dossier=record.dossier_code,
        status=str(record.status),
        started_at=record.received_at,
        finished_at=record.finished_at,
        deadline=record.due_at,
        on_time=on_time(record.verdict),
    )


def step(record: StepRecord, calendar: WorkingCalendar) -> JourneyStep:
    """One step on its system's lane; its latest transaction (retries keep the same step); once
    finished, the working time it took on `calendar`."""
    working = took = None
    if record.started_at is not None and record.finished_at is not None:
        span = calendar.working_time_between(record.started_at, record.finished_at)
        working, took = span.total_seconds() / 3600, describe_working_time(span, calendar.working_day_length)
    return JourneyStep(
        step=record.step,
        system=record.system,
        transaction_id=record.transaction_ids[-1] if record.transaction_ids else None,
        status=str(record.status),
        started_at=record.started_at,
        finished_at=record.finished_at,
        deadline=record.due_at,
        on_time=on_time(record.verdict),
        working_hours=working,
        took=took,
    )


class EngineJourneys:
    """A JourneyReader over `Journeys`, every client's journeys (the dashboard is an operator's view)."""

    def __init__(self, journeys: Journeys) -> None:
        self._journeys = journeys

    @property
    def time_zone(self) -> str:
        """The engine's working calendar's zone."""
        return self._journeys.calendar.tz.key

    async def journeys(self, *, limit: int) -> list[JourneySummary]:
        """Up to `limit` journeys, newest first."""
        return [summary(record) for record in await self._journeys.list(limit=limit)]

    async def timeline(self, journey_id: str) -> JourneyTimeline | None:
        """One journey with its steps; None when unknown."""
        try:
            record = await self._journeys.get(journey_id)
        except UnknownJourney:
            return None
        calendar = self._journeys.calendar
        return JourneyTimeline(
            journey=summary(record),
            steps=[step(s, calendar) for s in record.steps],
            time_zone=self.time_zone,
        )
