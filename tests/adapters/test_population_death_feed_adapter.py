"""The population adapter's feed of recorded deaths (BienDongKhaiTu) over the real mock: canonical pages
read in order after a position, each with the time the database recorded it; a bad query or a garbled
answer gets its typed error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from adapters.population import PopulationAdapter, PopulationConfig
from bus.envelope import Envelope
from bus.errors import BadRequest, BadResponse
from services.citizens import Population
from services.population.app import create_app

SERVICE = "VN/GOV/BCA/CSDLDC/BienDongKhaiTu/v1"
VIETNAM = timezone(timedelta(hours=7))


def _envelope(payload: object) -> Envelope:
    return Envelope(client="VN/GOV/HPG/MOTCUA", service=SERVICE, payload=payload).with_deadline(5.0)


async def test_recorded_deaths_are_read_in_order_after_a_position() -> None:
    population = Population(seed=2023, size=500)
    dead = [population.id_at(index) for index in (3, 9)]
    # Recorded at 08:30 in Hải Phòng (01:30 UTC), and the other now on the mock's clock, moved ahead.
    population.record_death(dead[0], date(2026, 12, 4), recorded_at=datetime(2026, 12, 4, 1, 30, tzinfo=UTC))
    app = create_app(population, latency=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://population") as mock:
        ahead = (datetime.now(VIETNAM) + timedelta(days=100)).replace(microsecond=0)
        jumped = await mock.post("/_control/clock/jump", json={"now": ahead.isoformat()})
        assert jumped.status_code == 200, jumped.text
    population.record_death(dead[1], date(2026, 12, 4))
    adapter = PopulationAdapter(PopulationConfig(), transport=httpx.ASGITransport(app))
    try:
        first = await adapter.handle(_envelope({"after": 0, "limit": 1}))
        person = population.citizen(dead[0])
        assert person is not None
        assert first == {
            "deaths": [{"position": 1, "id_number": dead[0], "full_name": person.full_name,
                        "death_date": "2026-12-04", "recorded_at": "2026-12-04T08:30:00+07:00"}],
            "last_position": 1,
        }  # fmt: skip
        rest = await adapter.handle(_envelope({"after": 1}))
        assert isinstance(rest, dict) and isinstance(rest["deaths"], list)
        (later,) = rest["deaths"]
        assert isinstance(later, dict) and later["id_number"] == dead[1]
        recorded = datetime.fromisoformat(str(later["recorded_at"]))
        assert timedelta(0) <= recorded - ahead < timedelta(minutes=1)
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
