"""The Journeys view over the real journey engine: a finished journey is listed with its verdict and
drawn with each step's system, transaction, deadline and the working time it took."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bus.dashboard.engine_journeys import EngineJourneys, step
from bus.dashboard.journeys import describe_working_time, journey_list
from bus.flows.journey_records import StepRecord
from bus.flows.journey_state import StepStatus
from tests.flows.journey_stack import CLIENT, JourneyStack
from vn_calendar import VIETNAM_TZ, WorkingCalendar


@pytest.mark.parametrize("journey_stack", ["memory"], indirect=True)
async def test_a_finished_journey_is_listed_on_time_and_drawn_step_by_step(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    stack.define(
        {
            "kind": "birth",
            "deadline_days": 3,
            "steps": [
                {"kind": "call", "id": "register", "system": "civil registry",
                 "call": {"service": stack.service("Registry"), "path": "act", "payload": {"step": "x"}}},
            ],
        }
    )  # fmt: skip
    journeys = await stack.start()
    started = await journeys.start("birth", {}, "HS-VIEW-1", client=CLIENT)
    record = await stack.until(started.journey_id, lambda r: r.status == "completed")
    reader = EngineJourneys(journeys)

    listing = await journey_list(reader, limit=10)
    assert listing.available and [j.id for j in listing.journeys] == [record.journey_id]
    [shown] = listing.journeys
    assert (shown.procedure, shown.dossier, shown.status, shown.on_time) == (
        "birth",
        "HS-VIEW-1",
        "completed",
        True,
    )
    assert [(t.procedure, t.finished, t.on_time) for t in listing.timeliness] == [("birth", 1, 1)]
    assert listing.time_zone == journeys.calendar.tz.key

    timeline = await reader.timeline(record.journey_id)
    assert timeline is not None
    [drawn] = timeline.steps
    assert (drawn.step, drawn.system, drawn.status) == ("register", "civil registry", "done")
    assert drawn.transaction_id == record.steps[0].transaction_ids[-1]
    ran = record.steps[0]
    assert ran.started_at is not None and ran.finished_at is not None
    office = journeys.calendar.working_time_between(ran.started_at, ran.finished_at)
    assert drawn.working_hours == office.total_seconds() / 3600 and drawn.took is not None
    assert timeline.time_zone == journeys.calendar.tz.key
    assert await reader.timeline("no-such-journey") is None


# 2026-03-06 is a Friday; no public holiday near it in this calendar.
CALENDAR = WorkingCalendar(public_holidays={})
FRIDAY_AFTERNOON = datetime(2026, 3, 6, 16, 0, tzinfo=VIETNAM_TZ)


def _step(started: datetime | None, finished: datetime | None) -> StepRecord:
    return StepRecord(
        step="register", kind="call", system="civil registry", service=None,
        status=StepStatus.DONE if finished else StepStatus.RUNNING, started_at=started, finished_at=finished,
        due_at=None, overdue_at=None, verdict=None, transaction_ids=["tx-1"], calls=[], result=None,
        reason=None,
    )  # fmt: skip


def test_a_step_over_a_weekend_took_its_office_hours_not_its_elapsed_time() -> None:
    # Friday 16:00 → Monday 09:30: 65.5 hours elapsed, 1 h on Friday + 2 h on Monday of office time.
    monday = datetime(2026, 3, 9, 9, 30, tzinfo=VIETNAM_TZ)
    shown = step(_step(FRIDAY_AFTERNOON, monday), CALENDAR)
    assert (shown.working_hours, shown.took) == (3.0, "3 h")


def test_a_step_still_running_has_taken_nothing_yet() -> None:
    shown = step(_step(FRIDAY_AFTERNOON, None), CALENDAR)
    assert (shown.working_hours, shown.took) == (None, None)


@pytest.mark.parametrize(
    ("span", "shown"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=45, seconds=20), "45 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=5), "3 h 05 min"),
        (timedelta(hours=8), "1 working day"),
        (timedelta(hours=19, minutes=5), "2 working days 3 h 05 min"),
    ],
)
def test_working_time_is_shown_in_working_days_hours_and_minutes(span: timedelta, shown: str) -> None:
    assert describe_working_time(span, timedelta(hours=8)) == shown
