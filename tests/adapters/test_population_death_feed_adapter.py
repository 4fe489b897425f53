"""The population adapter's feed of recorded deaths (BienDongKhaiTu) over the real mock: canonical pages
read in order after a position; a bad query or a garbled answer gets its typed error."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from adapters.population import PopulationAdapter, PopulationConfig
from bus.envelope import Envelope
from bus.errors import BadRequest, BadResponse
from services.citizens import Population
from services.population.app import create_app

SERVICE = "VN/GOV/BCA/CSDLDC/BienDongKhaiTu/v1"


def _envelope(payload: object) -> Envelope:
    return Envelope(client="VN/GOV/HPG/MOTCUA", service=SERVICE, payload=payload).with_deadline(5.0)


async def test_recorded_deaths_are_read_in_order_after_a_position() -> None:
    population = Population(seed=2023, size=500)
    dead = [population.id_at(index) for index in (3, 9)]
    for number in dead:
        population.record_death(number, date(2026, 12, 4))
    adapter = PopulationAdapter(
        PopulationConfig(), transport=httpx.ASGITransport(create_app(population, latency=False))
    )
    try:
        first = await adapter.handle(_envelope({"after": 0, "limit": 1}))
        person = population.citizen(dead[0])
        assert person is not None
        assert first == {
            "deaths": [{"position": 1, "id_number": dead[0], "full_name": person.full_name,
                        "death_date": "2026-12-04"}],
            "last_position": 1,
        }  # fmt: skip
        rest = await adapter.handle(_envelope({"after": 1}))
        assert [d["id_number"] for d in rest["deaths"]] == [dead[1]]  # type: ignore[index]
        assert await adapter.handle(_envelope({"after": 2})) == {"deaths": [], "last_position": 2}
        with pytest.raises(BadRequest):
            await adapter.handle(_envelope({"after": -1}))
    finally:
        await adapter.close()


async def test_a_garbled_feed_answer_is_a_bad_response() -> None:
    garbled = httpx.MockTransport(lambda _: httpx.Response(200, json={"BienDong": [{"ThuTu": "x"}]}))
    adapter = PopulationAdapter(PopulationConfig(), transport=garbled)
    try:
        with pytest.raises(BadResponse):
            await adapter.handle(_envelope({}))
    finally:
        await adapter.close()
