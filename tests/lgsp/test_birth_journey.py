"""The interconnected birth (lgsp/journeys/birth.yaml) end to end: the real adapters and mocks, on memory
and on RabbitMQ + Redis, time compressed (a working day in a second)."""

from __future__ import annotations

import pytest

from bus.flows import JourneyRecord
from lgsp.journey_inputs import birth_inputs
from tests.lgsp.citizen_journeys import CitizenJourneys

pytestmark = pytest.mark.slow


def statuses(record: JourneyRecord) -> dict[str, str]:
    return {step.step: step.status for step in record.steps}


@pytest.mark.parametrize(
    ("legs", "skipped"),
    [
        (["residence", "insurance"], set()),
        (["residence"], {"card", "card_done"}),
        (["insurance"], {"residence", "residence_done"}),
    ],
)
async def test_a_birth_completes_the_legs_chosen_within_three_working_days(
    citizen_journeys: CitizenJourneys, legs: list[str], skipped: set[str]
) -> None:
    inputs = birth_inputs(citizen_journeys.mocks.population, today=citizen_journeys.today, legs=legs)
    started = await citizen_journeys.start("birth", inputs)
    record = await citizen_journeys.finished(started.journey_id)
    assert record.status == "completed", record.model_dump_json(indent=1)
    assert {s for s, status in statuses(record).items() if status == "skipped"} == skipped
    assert record.verdict is not None
