"""On the broker: a request's and a reply's deliveries are dispatched as they are read, on the first
connection and, after a failover, on the new one (each new aiormq connection is bound to its socket)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiormq
import pytest

from bus.transport import AmqpTransport, Delivery, Message, amqp_inbound
from tests.transport.conftest import FAILOVER_RECONNECT_INTERVAL, TwoNodes, delete_queues

pytestmark = pytest.mark.amqp


def _current(transport: AmqpTransport) -> aiormq.abc.AbstractConnection:
    underlay = transport.connection.transport
    assert underlay is not None
    return underlay.connection


async def test_deliveries_are_dispatched_as_read_before_and_after_a_failover(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatched_on: list[aiormq.abc.AbstractConnection] = []
    deliver = amqp_inbound._deliver

    def spy(channel: aiormq.Channel, *args: Any) -> int:
        taken = deliver(channel, *args)
        if taken >= 0:
            dispatched_on.append(channel.connection)
        return taken

    monkeypatch.setattr(amqp_inbound, "_deliver", spy)
    nodes = TwoNodes(amqp_url)
    await nodes.start()
    queue = f"lgsp-test.{uuid.uuid4().hex[:12]}"
    transports = [
        AmqpTransport(
            nodes.urls,
            connection_name=f"lgsp-test-inbound-{side}",
            reconnect_interval=FAILOVER_RECONNECT_INTERVAL,
        )
        for side in ("responder", "requester")
    ]
    responder, requester = transports
    try:
        for transport in transports:
            await asyncio.wait_for(transport.connect(), 10)

        async def answer(delivery: Delivery) -> None:
            asked = delivery.message
            assert asked.reply_to is not None
            await responder.reply(
                asked.reply_to, Message(body=asked.body, correlation_id=asked.correlation_id)
            )
            await delivery.ack()

        await responder.consume(queue, answer, prefetch=4)
        for round_ in ("first connections", "after the failover"):
            dispatched_on.clear()
            answered = await requester.request(queue, Message(body=round_.encode()), timeout=10)
            assert answered.body == round_.encode()
            assert set(dispatched_on) == {_current(responder), _current(requester)}, round_
            if round_ == "first connections":
                before = {_current(responder), _current(requester)}
                await nodes.fail_over(*transports)
                assert not before & {_current(responder), _current(requester)}
    finally:
        for transport in transports:
            await transport.close()
        await nodes.stop()
        await asyncio.wait_for(delete_queues(amqp_url, [queue]), 10)
