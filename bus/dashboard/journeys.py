"""What the Journeys view reads: a small interface the journey engine (bus/flows) implements.

Until an engine is wired in, the dashboard has no reader and the view says so; it never invents data.

    GET /ui/api/journeys            → JourneyList     (running and finished, newest first, on-time rates)
    GET /ui/api/journeys/{id}       → JourneyTimeline (a lane per system, each step with its transaction)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, Field


class JourneySummary(BaseModel):
    """One journey in the list."""

    id: str
    procedure: str
    dossier: str | None = None
    status: str = Field(description="the engine's: running, compensating, completed, refused, parked")
    started_at: datetime
    finished_at: datetime | None = None
    deadline: datetime | None = None
    on_time: bool | None = None  # None while running and not yet late


class JourneyStep(BaseModel):
    """One step on a system's lane."""

    step: str
    system: str
    transaction_id: str | None = None
    status: str = Field(description="the engine's: pending, running, waiting, done, failed, …")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deadline: datetime | None = None
    on_time: bool | None = None
    working_hours: float | None = Field(
        default=None, description="office time from start to finish on the engine's calendar, in hours"
    )
    took: str | None = Field(default=None, description="working_hours as shown: working days, hours, minutes")


class JourneyTimeline(BaseModel):
    """A journey with all its steps, for the swimlane view."""

    journey: JourneySummary
    steps: list[JourneyStep]
    time_zone: str | None = Field(
        default=None, description="IANA zone of the working calendar: times are shown in it"
    )


class ProcedureTimeliness(BaseModel):
    """On-time share of finished journeys of one procedure (as the national service index measures it)."""

    procedure: str
    finished: int
    on_time: int
    on_time_rate: float | None


class JourneyList(BaseModel):
    """The Journeys view's data; `available` is False when no engine is wired into this deployment."""

    available: bool
    journeys: list[JourneySummary]
    timeliness: list[ProcedureTimeliness]
    time_zone: str | None = Field(
        default=None, description="IANA zone of the working calendar: times are shown in it"
    )


class JourneyReader(Protocol):
    """Read access to journeys, shared by every worker (the engine keeps them in the Store)."""

    @property
    def time_zone(self) -> str | None:
        """IANA zone of the calendar the journeys' deadlines are counted in (None: the viewer's own)."""
        ...

    async def journeys(self, *, limit: int) -> list[JourneySummary]:
        """Up to `limit` journeys, newest first."""
        ...

    async def timeline(self, journey_id: str) -> JourneyTimeline | None:
        """One journey with its steps; None when unknown."""
        ...


def describe_working_time(span: timedelta, working_day: timedelta) -> str:
    """Office time as deadlines count it: "2 working days 3 h 05 min", "3 h", "45 min", "40 s"."""
    days, rest = divmod(span, working_day)
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes, rest = divmod(rest, timedelta(minutes=1))
    parts = []
    if days:
        parts.append(f"{days} working day{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes:02d} min" if parts else f"{minutes} min")
    return " ".join(parts) if parts else f"{round(rest.total_seconds())} s"


def timeliness(journeys: list[JourneySummary]) -> list[ProcedureTimeliness]:
    """On-time rate per procedure over the finished journeys listed."""
    finished: dict[str, list[bool]] = {}
    for journey in journeys:
        if journey.finished_at is not None and journey.on_time is not None:
            finished.setdefault(journey.procedure, []).append(journey.on_time)
    return [
        ProcedureTimeliness(
            procedure=procedure,
            finished=len(verdicts),
            on_time=sum(verdicts),
            on_time_rate=sum(verdicts) / len(verdicts) if verdicts else None,
        )
        for procedure, verdicts in sorted(finished.items())
    ]


async def journey_list(reader: JourneyReader | None, *, limit: int) -> JourneyList:
    """The list the view shows; empty and unavailable without a reader."""
    if reader is None:
        return JourneyList(available=False, journeys=[], timeliness=[])
    journeys = await reader.journeys(limit=limit)
    return JourneyList(
        available=True, journeys=journeys, timeliness=timeliness(journeys), time_zone=reader.time_zone
    )
