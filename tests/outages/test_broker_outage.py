"""A broker outage: the gateway refuses fast with 503 Server.Bus.Unavailable, nothing accepted is lost,
and gateway and worker reconnect on their own once the broker is back (RabbitMQ through a fault proxy)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.outages.stack import RECONNECT_GRACE, OutageStack, outage_stack
from tests.support.fault_proxy import FaultProxy

pytestmark = [pytest.mark.amqp, pytest.mark.slow]


async def _until_ok(stack: OutageStack, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        response = await stack.call()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def _settled(stack: OutageStack, within: float = 10.0) -> None:
    """Wait until the worker has nothing running and its call count stopped moving."""
    deadline = time.monotonic() + within
    seen = -1
    while time.monotonic() < deadline:
        if stack.count.running == 0 and stack.count.calls == seen:
            return
        seen = stack.count.calls
        await asyncio.sleep(0.5)


async def test_broker_cut_is_answered_fast_with_503_and_calls_succeed_after_it(
    amqp_url: str, broker_proxy: FaultProxy
) -> None:
    async with outage_stack(broker_proxy.url(amqp_url), amqp_url) as stack:
        assert (await stack.call()).status_code == 200
        broker_proxy.cut()
        started = time.monotonic()
        during = await stack.call()
        took = time.monotonic() - started
        assert during.status_code == 503, during.text
        assert during.json()["type"] == "Server.Bus.Unavailable"
        assert took < RECONNECT_GRACE + 1.5
        calls_during = stack.count.calls
        broker_proxy.restore()
        after = await _until_ok(stack, within=20)
        assert after.status_code == 200, after.text
        # The refused call never reached the provider: refused means not done.
        assert stack.count.calls == calls_during + 1


async def test_calls_in_flight_when_the_broker_blinks_are_answered_and_none_runs_twice(
    amqp_url: str, broker_proxy: FaultProxy
) -> None:
    async with outage_stack(broker_proxy.url(amqp_url), amqp_url) as stack:
        assert (await stack.call()).status_code == 200
        calls = [asyncio.ensure_future(stack.call({"i": i})) for i in range(20)]
        await asyncio.sleep(0.05)
        broker_proxy.cut()
        await asyncio.sleep(0.3)
        broker_proxy.restore()
        answers = await asyncio.gather(*calls)
        # Each call is answered, success or a typed retryable refusal; never a 500.
        odd = [a.text for a in answers if a.status_code not in (200, 503, 504)]
        assert odd == []
        # Reconciled: every call not refused ran exactly once (a 504 is "no answer in time", and its
        # work still happened); every refused one did not run at all.
        accepted = {repr({"i": i}) for i, a in enumerate(answers) if a.status_code != 503}
        await _settled(stack)
        assert stack.count.doubled() == []
        assert set(stack.count.payloads) - {repr({"n": 1})} == accepted
        assert (await _until_ok(stack, within=20)).status_code == 200
