"""The Journeys view over the real journey engine: a finished journey is listed with its verdict and
drawn with each step's system, transaction and deadline."""

from __future__ import annotations

import pytest

from bus.dashboard.engine_journeys import EngineJourneys
from bus.dashboard.journeys import journey_list
from tests.flows.journey_stack import CLIENT, JourneyStack


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

    timeline = await reader.timeline(record.journey_id)
    assert timeline is not None
    [step] = timeline.steps
    assert (step.step, step.system, step.status) == ("register", "civil registry", "done")
    assert step.transaction_id == record.steps[0].transaction_ids[-1]
    assert await reader.timeline("no-such-journey") is None
