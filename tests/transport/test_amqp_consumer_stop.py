"""Stopping a RabbitMQ consumer does not wait forever for a broker that no longer answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bus.transport import amqp_consumer
from bus.transport.amqp_consumer import AmqpSubscription


class Unanswered:
    """A queue and a channel whose broker never answers basic.cancel or channel.close."""

    name = "lgsp-test.stalled"

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def consume(self, callback: Any, no_ack: bool) -> str:
        return "tag-1"

    async def cancel(self, tag: str) -> None:
        self.asked.append(f"cancel {tag}")
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
    assert broker.asked == ["cancel tag-1", "close"]
