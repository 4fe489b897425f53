"""The residence removal on the population database's event (lgsp/journeys/death_feed.yaml): the bus
follows the feed of recorded deaths and removes each deceased person's residence within one working day
of the recording, once per death across polls and restarts; a removal that never comes parks the
journeys at their poll limits; on memory and on RabbitMQ + Redis, on a compressed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bus.flows import FeedFollower
from services.journey_forms import death_inputs
from services.residence.settings import ResidenceSettings
from tests.lgsp.citizen_journeys import CitizenJourneys

pytestmark = pytest.mark.slow


async def removals(stack: CitizenJourneys) -> int:
    async with stack.mocks.client("residence") as residence:
        count: int = (await residence.get("/_control/effects")).json()["xoa_dang_ky_thuong_tru"]
    return count


async def test_each_recorded_death_removes_the_residence_within_a_working_day_once(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    population = stack.mocks.population
    # Deaths recorded by the population database (registered at a civil registry the bus never saw).
    # Recorded just after a cut-off (see `just_after_the_cutoff`): the residence agency's own appointment
    # (0 working days from its reception) then falls a working day before the journey's deadline.
    dead = [population.id_at(index) for index in (40, 41)]
    recorded = (await stack.just_after_the_cutoff()).replace(microsecond=0)
    for number in dead:
        population.record_death(number, stack.today, recorded_at=recorded)

    for number in dead:
        started = await stack.until_found(f"XT.{number}")
        record = await stack.finished(started.journey_id)
        assert record.status == "completed", record.model_dump_json(indent=1)
        assert record.received_at == recorded
        assert record.due_at == stack.runtime.calendar.add_working_days(recorded, 1)
        assert record.kind == "death-feed" and record.verdict in ("early", "on_time"), record.model_dump_json(
            indent=1
        )
        removed = next(s for s in record.steps if s.step == "removed")
        assert removed.result["dossier"]["outcome"]["residence_status"] == "removed"  # type: ignore[index]
        async with stack.mocks.client("residence") as residence:
            person = (await residence.get(f"/api/v1/cutru/congdan/{number}")).json()
        assert person["tinhTrangCuTru"] == "DA_XOA_DANG_KY_THUONG_TRU"
    assert await removals(stack) == 2

    # Read again: by the next poll, and by a restarted engine that lost the feed's position.
    feeds = stack.runtime.feeds
    assert feeds is not None
    death_feed = next(d for d in feeds.definitions if d.kind == "death-feed")
    assert await feeds.position("death-feed") == 2
    await feeds.stop()
    assert await feeds.poll(death_feed) == 0
    await stack.runtime.store.delete(f"{stack.runtime.settings.store_prefix}feed:death-feed:after")
    restarted = FeedFollower(
        stack.runtime.definitions, journeys=stack.runtime.journeys, caller=feeds.caller,
        store=stack.runtime.store, settings=stack.runtime.settings, holder="restarted",
    )  # fmt: skip
    assert await restarted.poll(death_feed) == 2
    assert len(await stack.runtime.journeys.list(kind="death-feed")) == 2
    assert await removals(stack) == 2


async def test_a_death_read_late_is_judged_against_the_working_day_from_its_recording(
    citizen_journeys: CitizenJourneys,
) -> None:
    """The bus reads a death a week after the population database recorded it (an outage, a backlog):
    the journey's working day ran from the recording, so it is late, whatever the read."""
    stack = citizen_journeys
    number = stack.mocks.population.id_at(42)
    recorded = (stack.clock.now() - timedelta(days=7)).replace(microsecond=0)
    stack.mocks.population.record_death(number, recorded.date(), recorded_at=recorded)

    started = await stack.until_found(f"XT.{number}")
    record = await stack.finished(started.journey_id)
    assert record.status == "completed", record.model_dump_json(indent=1)
    assert record.received_at == recorded
    assert record.due_at == stack.runtime.calendar.add_working_days(recorded, 1)
    assert record.verdict == "late" and record.late


@pytest.mark.parametrize(
    "residence_settings",
    [ResidenceSettings(registration_days=1, removal_stall_rate=1.0, verification_rate=0.0, late_rate=0.0)],
)
async def test_a_removal_that_never_comes_parks_the_journeys_at_their_poll_limits(
    citizen_journeys: CitizenJourneys,
) -> None:
    """The residence agency never removes the record (its dossier stalls in processing), so the polls the
    journeys declare run out (the feed's removal: 120 hourly polls; the interconnected death's residence
    leg: 60 two-hourly), however long each poll takes: each journey is parked with its reason, for an
    officer, instead of polling for ever."""
    stack = citizen_journeys
    inputs = death_inputs(stack.mocks.population, today=stack.today, legs=["residence"])
    deceased = str(inputs["deceased"]["id_number"])  # type: ignore[index,call-overload]
    started = await stack.start("death", inputs)

    death = await stack.finished(started.journey_id, timeout=60.0)
    assert death.status == "parked", death.model_dump_json(indent=1)
    assert death.reason == "step residence_done: no result after 60 polls"
    removal = await stack.finished((await stack.until_found(f"XT.{deceased}")).journey_id, timeout=60.0)
    assert removal.status == "parked", removal.model_dump_json(indent=1)
    assert removal.reason == "step removed: no result after 120 polls"
    assert await removals(stack) == 1  # asked once, never again
