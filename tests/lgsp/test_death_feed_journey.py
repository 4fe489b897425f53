"""The residence removal on the population database's event (lgsp/journeys/death_feed.yaml): the bus
follows the feed of recorded deaths and removes each deceased person's residence within one working day,
once per death across polls and restarts; on memory and on RabbitMQ + Redis, on a compressed clock."""

from __future__ import annotations

import pytest

from bus.flows import FeedFollower
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
    dead = [population.id_at(index) for index in (40, 41)]
    for number in dead:
        population.record_death(number, stack.today)

    for number in dead:
        started = await stack.until_found(f"XT.{number}")
        record = await stack.finished(started.journey_id)
        assert record.status == "completed", record.model_dump_json(indent=1)
        assert record.kind == "death-feed" and record.verdict in ("early", "on_time")
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
