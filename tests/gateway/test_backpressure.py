"""A bounded number of calls in flight per gateway: past it, 503 at once, and memory stays flat."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from bus.errors import Overloaded
from bus.gateway.backpressure import InFlightLimit
from tests.gateway.conftest import STP, CountedBus
from tests.in_process_stack import Backend, Gateway, running_gateway

BOUND = 20
FLOOD = 1000


async def flood(gateway: Gateway, url: str, count: int) -> Counter[int]:
    """Fire `count` concurrent calls; the statuses they got."""

    async def one() -> int:
        response = await gateway.client.post(url, json={"n": 1}, headers=STP)
        if response.status_code == 503:
            assert response.json()["type"] == "Server.Bus.Overloaded"
            assert int(response.headers["retry-after"]) >= 1
        return response.status_code

    return Counter(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), 60))


@pytest.mark.slow
async def test_flood_past_the_bound_is_answered_503_and_retains_no_memory(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend, max_in_flight=BOUND) as gateway:
        await flood(gateway, bus.url("Slow"), 2 * BOUND)  # warm-up: lazy imports and pools are not growth
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            statuses = await flood(gateway, bus.url("Slow"), FLOOD)
            gc.collect()
            after, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        held = gateway.router.in_flight.held
    growth = f"retained {after - before} B, peak +{peak - before} B"
    print(f"\nflood of {FLOOD} at bound {BOUND}: {dict(statuses)}; {growth}")
    assert statuses[200] + statuses[503] == FLOOD
    assert BOUND <= statuses[200] < FLOOD // 2  # the bound admits its share, the flood is refused
    assert bus.slow.most_at_once <= BOUND
    assert held == 0
    assert after - before < 512 * 1024  # nothing of the flood is kept once it is answered


async def test_every_error_path_gives_its_slot_back(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend, max_in_flight=1) as gateway:
        wrong = [
            gateway.client.post(bus.url("Count"), json={}, headers={**STP, "X-Api-Key": "bad"}),
            gateway.client.post(bus.url("Count"), content=b"{", headers=STP),
            gateway.client.post("/r1/VN/GOV/HPG/X/Nope/v1", json={}, headers=STP),
            gateway.client.post(bus.url("Unserved"), json={}, headers=STP),
            gateway.client.post(bus.url("Failing"), json={}, headers=STP),
        ]
        failures: list[httpx.Response] = []
        for call in wrong:
            failures.append(await call)
        good = await gateway.client.post(bus.url("Count"), json={}, headers=STP)
    assert [f.status_code for f in failures] == [401, 400, 404, 502, 502]
    assert good.status_code == 200


async def test_a_refused_call_is_refused_before_its_body_is_read(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend, max_in_flight=1) as gateway:
        slot = gateway.router.in_flight.admit()  # the one slot is busy
        read = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            read.set()
            yield b"{}"

        try:
            refused = await gateway.client.post(bus.url("Count"), content=body(), headers=STP)
        finally:
            slot.release()
    assert refused.status_code == 503
    assert not read.is_set()


def test_the_limit_admits_up_to_its_maximum_and_a_double_release_is_harmless() -> None:
    limit = InFlightLimit(2, retry_after=3.0)
    first, _ = limit.admit(), limit.admit()
    with pytest.raises(Overloaded) as refused:
        limit.admit()
    assert refused.value.retry_after == 3.0
    first.release()
    first.release()
    assert limit.held == 1
    limit.admit()
    assert limit.held == 2
