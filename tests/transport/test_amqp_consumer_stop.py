"""Stopping a RabbitMQ consumer does not wait forever for a broker that no longer answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bus.transport import amqp_consumer
from bus.transport.amqp_consumer import AmqpSubscription


class Unanswered:
    """A channel (and its aiormq channel) whose broker takes a consumer but never answers basic.cancel
    or channel.close; `name` makes it the queue too."""

    name = "lgsp-test.stalled"

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.consumers: dict[str, Any] = {}
        self.on_consumer_cancel_callbacks: set[Any] = set()

    async def get_underlay_channel(self) -> Unanswered:
        return self

    async def basic_consume(self, queue: str, callback: Any, *, no_ack: bool, consumer_tag: str) -> None:
        self.consumers[consumer_tag] = callback

    async def basic_cancel(self, tag: str) -> None:
        self.asked.append("cancel")
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.asked.append("close")
        await asyncio.Event().wait()


async def test_a_drain_ends_when_the_broker_answers_neither_the_cancel_nor_the_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(amqp_consumer, "BROKER_ANSWER_SECONDS", 0.05)
    broker = Unanswered()
    subscription = AmqpSubscription(broker, broker, lambda delivery: asyncio.sleep(0))  # type: ignore[arg-type]
    await subscription.start()
    draining = asyncio.ensure_future(subscription.drain(0.05))
    done, _ = await asyncio.wait({draining}, timeout=5)  # it waited forever for the CancelOk
    draining.cancel()
    assert done, "drain() still waiting for the broker"
    assert broker.asked == ["cancel", "close"]
