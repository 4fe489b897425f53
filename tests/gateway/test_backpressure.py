"""A bounded number of calls in flight per gateway: past it, 503 at once, and memory stays flat."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from bus.errors import Overloaded, RateLimited
from bus.gateway.backpressure import InFlightLimit
from tests.gateway.conftest import OTHER, STP, CountedBus
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
    # One client floods, so its share is the whole bound (the share has its own tests below).
    async with running_gateway(bus, backend, max_in_flight=BOUND, max_in_flight_per_client=BOUND) as gateway:
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


def test_one_client_holds_at_most_its_share_and_gives_it_back() -> None:
    limit = InFlightLimit(4, per_client=2)
    mine = [limit.admit(), limit.admit()]
    for slot in mine:
        slot.claim_for("A")
    third = limit.admit()
    with pytest.raises(RateLimited) as refused:
        third.claim_for("A")
    assert "share" in refused.value.message and refused.value.status == 429
    third.release()
    theirs = limit.admit()
    theirs.claim_for("B")  # another client still gets a slot
    mine[0].release()
    mine[0].release()
    assert (limit.held, limit.held_by("A"), limit.held_by("B")) == (2, 1, 1)
    again = limit.admit()
    again.claim_for("A")
    assert limit.held_by("A") == 2


def test_a_client_share_defaults_to_half_the_bound() -> None:
    assert InFlightLimit(256).per_client == 128
    assert InFlightLimit(1).per_client == 1
    assert InFlightLimit(10, per_client=50).per_client == 10


async def test_a_client_at_its_share_gets_429_while_another_client_is_served(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend, max_in_flight=4, max_in_flight_per_client=2) as gateway:
        held = [gateway.router.in_flight.admit() for _ in range(2)]
        for slot in held:
            slot.claim_for(STP["X-Road-Client"])
        try:
            refused = await gateway.client.post(bus.url("Count"), json={}, headers=STP)
            other = await gateway.client.post(bus.url("Count"), json={}, headers=OTHER)
        finally:
            for slot in held:
                slot.release()
    assert refused.status_code == 429 and refused.json()["type"] == "Client.RateLimited"
    assert int(refused.headers["retry-after"]) >= 1
    assert other.status_code == 200, other.text
