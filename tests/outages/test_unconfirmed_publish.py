"""A request whose publish the broker has not confirmed by its deadline is not answered 504 (it may still
arrive): the gateway answers 202 with the transaction's Location and stores the outcome there once the
publish is confirmed and answered, or refused. RabbitMQ, the gateway's connection through a black hole."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

import pytest

from bus.envelope import new_id
from bus.errors import NoRoute
from bus.transport import AmqpTransport
from bus.transport.base import Message
from bus.transport.unconfirmed import PublishUnconfirmed
from tests.outages.stack import outage_stack
from tests.support.fault_proxy import FaultProxy

pytestmark = [pytest.mark.amqp, pytest.mark.slow]


async def test_unconfirmed_publish_is_answered_202_and_its_late_reply_is_stored_at_location(
    amqp_url: str, broker_proxy: FaultProxy
) -> None:
    parts = urlparse(amqp_url)
    gateway_proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
    await gateway_proxy.start()
    try:
        async with outage_stack(
            broker_proxy.url(amqp_url),
            amqp_url,
            gateway_broker_url=gateway_proxy.url(amqp_url),
            confirm_timeout=0.5,
            count_timeout=1.0,
            restore=[gateway_proxy, broker_proxy],
        ) as stack:
            assert (await stack.call({"n": 0})).status_code == 200
            gateway_proxy.black_hole()  # the publish goes out, no confirm comes back
            started = time.monotonic()
            answer = await stack.call({"n": 1})
            took = time.monotonic() - started
            assert answer.status_code == 202, answer.text
            assert answer.json()["state"] == "pending"
            assert took < 1.0 + 0.25 + 0.5 + 1.0  # deadline + grace + confirm grace, and some slack
            location = answer.headers["location"]
            assert stack.count.payloads.count(repr({"n": 1})) == 0  # not delivered yet
            gateway_proxy.restore()  # the connection drops; the publish is redone on the new one
            state = {}
            for _ in range(100):
                state = (await stack.client.get(location, headers=stack.headers)).json()
                if state["state"] == "done":
                    break
                await asyncio.sleep(0.1)
            assert state["state"] == "done", state
            assert state["status"] == 200, state
            assert state["result"]["echo"] == {"n": 1}
            assert stack.count.payloads.count(repr({"n": 1})) == 1
    finally:
        await gateway_proxy.stop()


async def test_late_publish_refused_by_the_broker_resolves_its_outcome_with_the_refusal(
    amqp_url: str,
) -> None:
    transport = AmqpTransport(amqp_url, confirm_timeout=0.2)
    await transport.connect()
    try:
        # Holding the publish channel's lock is what a broker throttling earlier writes does to a publish.
        assert transport._publisher is not None
        underlay = await transport._publisher.underlay()
        async with underlay.lock:
            with pytest.raises(PublishUnconfirmed) as raised:
                await transport.request(f"lgsp.test.nowhere.{new_id()}", Message(body=b"x"), timeout=0.2)
        with pytest.raises(NoRoute):  # never accepted: no effect, and the caller can know it
            await asyncio.wait_for(raised.value.outcome, 5)
        assert transport._pending == {}
    finally:
        await transport.close()
