"""The interconnected death (lgsp/journeys/death.yaml) end to end, 2 and 4 procedures, on memory and on
RabbitMQ + Redis over the real adapters and mocks."""

from __future__ import annotations

import pytest

from services.journey_forms import death_inputs
from tests.backends import MEMORY
from tests.lgsp.citizen_journeys import CitizenJourneys
from tests.lgsp.test_birth_journey import late_steps, portal_history, statuses, step

pytestmark = pytest.mark.slow


LEGS_STEPS = {"residence_done", "funeral", "funeral_done", "survivor", "survivor_done"}


async def test_a_death_runs_every_procedure_and_removes_the_residence_within_a_working_day(
    citizen_journeys: CitizenJourneys,
) -> None:
    await runs_the_procedures_chosen(citizen_journeys, ["residence", "funeral", "survivor"], LEGS_STEPS)


# Which legs run is the engine's choice from the inputs, the same on every backend: on memory only.
@pytest.mark.parametrize("citizen_journeys", [MEMORY], indirect=True)
async def test_a_death_with_the_residence_leg_only_skips_the_others(
    citizen_journeys: CitizenJourneys,
) -> None:
    await runs_the_procedures_chosen(citizen_journeys, ["residence"], {"residence_done"})


async def runs_the_procedures_chosen(stack: CitizenJourneys, legs: list[str], ran: set[str]) -> None:
    """A death with `legs` completes, `ran` done and the other legs skipped, the residence removed within
    a working day, nothing late, the portal told every status."""
    inputs = death_inputs(stack.mocks.population, today=stack.today, legs=legs)
    # Started just after a cut-off (see `just_after_the_cutoff`): each agency's appointment then counts
    # from the same working day as the leg's deadline, however long the bus took to ask it.
    await stack.just_after_the_cutoff()
    started = await stack.start("death", inputs)
    record = await stack.finished(started.journey_id)
    assert record.status == "completed", record.model_dump_json(indent=1)
    assert {name for name in LEGS_STEPS if statuses(record)[name] == "done"} == ran
    assert {name for name in LEGS_STEPS if statuses(record)[name] == "skipped"} == LEGS_STEPS - ran
    # The population database recorded the death; the residence removal followed within 1 working day.
    deceased = inputs["deceased"]["id_number"]  # type: ignore[index]
    removal = step(record, "residence_done")
    assert removal.verdict in ("early", "on_time"), record.model_dump_json(indent=1)
    assert removal.result["dossier"]["outcome"]["residence_status"] == "removed"  # type: ignore[index]
    assert stack.mocks.population.citizen(str(deceased)) is not None
    assert late_steps(record) == [], record.model_dump_json(indent=1)
    # The removal was the bus's own, on the population database's event: one journey per death.
    event = await stack.runtime.journeys.find(f"XT.{deceased}")
    assert event is not None and event.kind == "death-feed"
    assert removal.result["dossier"]["dossier_number"] == f"XT.{deceased}"  # type: ignore[index]
    assert await portal_history(stack, started.dossier_code) == [1, 3, 7, 4, 7, 4, 5]


async def test_a_death_of_someone_without_a_social_allowance_is_refused_with_the_portal_told(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    # The mother of the birth tests is 20-40: no monthly social allowance, so no funeral allowance.
    from services.journey_forms import birth_inputs

    mother = birth_inputs(stack.mocks.population, today=stack.today)["guardian"]["id_number"]  # type: ignore[index]
    inputs = death_inputs(
        stack.mocks.population, today=stack.today, legs=["funeral"], deceased_id=str(mother)
    )
    started = await stack.start("death", inputs)
    record = await stack.finished(started.journey_id)
    assert record.status == "refused", record.model_dump_json(indent=1)
    assert statuses(record)["funeral"] == "refused"
    assert statuses(record)["received"] == "compensated"
    assert (await portal_history(stack, started.dossier_code))[-1] == 6
