"""A broker outage: the gateway refuses fast with 503 Server.Bus.Unavailable, nothing accepted is lost,
and gateway and worker reconnect on their own once the broker is back (RabbitMQ through a fault proxy)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest

from tests.outages.stack import RECONNECT_GRACE, RECONNECT_INTERVAL, OutageStack, outage_stack
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


async def _followed(stack: OutageStack, location: str, within: float = 20.0) -> dict[str, Any]:
    """The transaction state at `location` once done."""
    deadline = time.monotonic() + within
    while True:
        state: dict[str, Any] = (await stack.client.get(location, headers=stack.headers)).json()
        if state["state"] == "done" or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.2)


async def _noticed(stack: OutageStack) -> None:
    """Wait until the gateway's transport knows its connection is gone (a call sent before that is in
    doubt, not refused: see the in-flight test)."""
    for _ in range(100):
        if not stack.gateway_transport.connection.connected.is_set():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the gateway never noticed the cut")


async def test_broker_cut_is_answered_fast_with_503_and_calls_succeed_after_it(
    amqp_url: str, broker_proxy: FaultProxy
) -> None:
    async with outage_stack(broker_proxy.url(amqp_url), amqp_url, restore=[broker_proxy]) as stack:
        assert (await stack.call()).status_code == 200
        broker_proxy.cut()
        await _noticed(stack)
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
    async with outage_stack(broker_proxy.url(amqp_url), amqp_url, restore=[broker_proxy]) as stack:
        assert (await stack.call()).status_code == 200
        calls = [asyncio.ensure_future(stack.call({"i": i})) for i in range(20)]
        await asyncio.sleep(0.05)
        broker_proxy.cut()
        await asyncio.sleep(0.3)
        broker_proxy.restore()
        answers = await asyncio.gather(*calls)
        # Each call is answered: success, a typed refusal (503: nothing was sent), a time-out (504: sent,
        # no answer in time), or 202 (the send was cut: in doubt, its outcome followed at Location).
        odd = [a.text for a in answers if a.status_code not in (200, 202, 503, 504)]
        assert odd == []
        for answer in answers:
            if answer.status_code == 202:
                done = await _followed(stack, answer.headers["location"])
                assert done["status"] in (200, 504), done
        # Reconciled: every call not refused ran exactly once; every refused one did not run at all.
        accepted = {repr({"i": i}) for i, a in enumerate(answers) if a.status_code != 503}
        await _settled(stack)
        assert stack.count.doubled() == []
        assert set(stack.count.payloads) - {repr({"n": 1})} == accepted
        assert (await _until_ok(stack, within=20)).status_code == 200


async def test_a_cut_is_one_warning_per_connection_naming_cause_and_reconnect_delay_and_no_traceback(
    amqp_url: str, broker_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    async with outage_stack(broker_proxy.url(amqp_url), amqp_url, restore=[broker_proxy]) as stack:
        assert (await stack.call()).status_code == 200
        calls = [asyncio.ensure_future(stack.call({"i": i})) for i in range(10)]
        await asyncio.sleep(0.05)  # some are in the worker's hands when the connections go
        caplog.clear()
        with caplog.at_level(logging.INFO):
            broker_proxy.cut()  # both connections reset; reconnect attempts refused for a while
            await asyncio.sleep(1.0)
            broker_proxy.restore()
            await asyncio.gather(*calls)
            after = await _until_ok(stack, within=20)
            await _settled(stack)
    assert after.status_code == 200, after.text
    said = [(r.levelno, r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    losses = [m for _, name, m in said if name == "bus.transport.amqp" and " lost (" in m]
    names = {stack.worker_transport.connection_name, stack.gateway_transport.connection_name}
    # One per connection, naming the cause and the reconnect delay ...
    assert sorted(m.split()[2] for m in losses) == sorted(names), losses
    assert all(f"then every {RECONNECT_INTERVAL:.1f} s" in m and " lost (AMQP" in m for m in losses)
    # ... besides one line per refused reconnect attempt and per message cut short; no second line
    # about a message's lost nack, no ERROR, no traceback.
    others = [m for _, name, m in said if m not in losses]
    expected = ("Connection attempt to ", "handler on ")
    assert [m for m in others if not m.startswith(expected)] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
