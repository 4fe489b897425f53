"""A cluster node lost under load: gateway and worker, given two node URLs (two fault proxies in front of
the one broker), move to the second node; every call in flight is answered, none is lost or run twice,
and calls go on while the first node stays down."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.outages.stack import OutageStack, outage_stack
from tests.outages.test_broker_outage import _followed, _settled
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.amqp

IN_FLIGHT = 40


async def _all_through(stack: OutageStack, node: FaultProxy, within: float = 10.0) -> None:
    """Wait until the gateway's and the worker's connections are both back, through `node`."""
    deadline = time.monotonic() + within
    connections = (stack.gateway_transport.connection, stack.worker_transport.connection)
    while time.monotonic() < deadline:
        if all(c.url.port == node.port and c.connected.is_set() for c in connections):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not all connections moved to port {node.port}")


async def test_losing_the_first_node_mid_load_loses_and_doubles_no_call(
    amqp_url: str, broker_proxy: FaultProxy, second_broker_proxy: FaultProxy
) -> None:
    first, second = broker_proxy, second_broker_proxy
    nodes = f"{first.url(amqp_url)},{second.url(amqp_url)}"
    async with outage_stack(nodes, amqp_url, restore=[first]) as stack:
        assert (await stack.call()).status_code == 200
        assert (first.connections, second.accepted) == (2, 0)  # both connected to the first node
        calls = [asyncio.ensure_future(stack.call({"i": i})) for i in range(IN_FLIGHT)]
        await asyncio.sleep(0.05)
        first.cut()  # the node dies and stays down
        answers = await asyncio.gather(*calls)
        # Answered: 200, or 504/202 for a call whose reply or confirm the cut took (it ran, see below).
        # None refused (503): the second node took over within the transport's reconnect grace.
        assert [a.text for a in answers if a.status_code not in (200, 202, 504)] == []
        for answer in answers:
            if answer.status_code == 202:
                done = await _followed(stack, answer.headers["location"])
                assert done["status"] in (200, 504), done
        await _all_through(stack, second)
        await _settled(stack)
        # Reconciled: every call ran exactly once; none lost, none doubled.
        assert stack.count.doubled() == []
        assert set(stack.count.payloads) == {repr({"n": 1})} | {repr({"i": i}) for i in range(IN_FLIGHT)}
        after = await stack.call({"after": True})
        assert after.status_code == 200, after.text


async def test_a_stack_started_while_the_first_node_is_down_serves_through_the_second(
    amqp_url: str, broker_proxy: FaultProxy, second_broker_proxy: FaultProxy
) -> None:
    broker_proxy.cut()
    nodes = f"{broker_proxy.url(amqp_url)},{second_broker_proxy.url(amqp_url)}"
    async with outage_stack(nodes, amqp_url, restore=[broker_proxy]) as stack:
        answer = await stack.call()
        assert answer.status_code == 200, answer.text
        assert second_broker_proxy.connections == 2
        assert broker_proxy.accepted == 0
