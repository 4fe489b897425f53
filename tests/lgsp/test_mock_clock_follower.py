"""MockClockFollower keeps in-process mocks' clocks on the bus's and stops even when a round loses its
cancellation."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx

from bus.flows import VIETNAM_TZ, ManualClock
from lgsp.journey_runtime import MockClockFollower


async def test_stop_ends_the_following_even_when_a_round_loses_its_cancellation() -> None:
    jumps: list[str] = []
    swallowed = False

    async def mock(request: httpx.Request) -> httpx.Response:
        nonlocal swallowed
        jumps.append(request.read().decode())
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:  # lost once, as Python 3.11's wait_for loses one meeting its result
            if swallowed:
                raise
            swallowed = True
        return httpx.Response(200, json={})

    clock = ManualClock(datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ))
    client = httpx.AsyncClient(transport=httpx.MockTransport(mock), base_url="http://residence")
    follower = MockClockFollower(clock, [client], interval=0.01)
    await follower.start()
    assert jumps and '"2026-12-07T09:00:00+07:00"' in jumps[0]
    await asyncio.sleep(0.03)
    stopping = asyncio.ensure_future(follower.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # it waited forever: the loop went on following
    stopping.cancel()
    assert done, "stop() still waiting for the follower's loop"
    rounds = len(jumps)
    await asyncio.sleep(0.1)
    assert len(jumps) == rounds and client.is_closed
