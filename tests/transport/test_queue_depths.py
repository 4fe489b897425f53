"""The dashboard's queue-depth reader (bus.dashboard.queues): one contract, run on the memory broker and
on RabbitMQ (unique queue names, deleted afterwards), plus what RabbitMQ alone can do (be unreachable)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bus.dashboard.queues import QueueDepths, queue_depths, service_queues
from bus.transport import AmqpTransport, Delivery, Message, Transport

WAIT = 10.0  # upper bound on a wait for the broker to count; far sooner when things work


async def counted(
    depths: QueueDepths, queue: str, wanted: tuple[int | None, int | None]
) -> tuple[int | None, int | None]:
    """(ready, dead letters) of `queue` once they read `wanted`, or as last read after WAIT seconds
    (RabbitMQ may count a dead-lettered message an instant after the nack returns)."""
    deadline = time.monotonic() + WAIT
    seen = await service_queues(depths, queue)
    while seen != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        seen = await service_queues(depths, queue)
    return seen


async def test_a_queue_reports_its_ready_messages_and_its_dead_letters_apart(
    transport: Transport, queue_name: str
) -> None:
    depths = queue_depths(transport)
    assert await service_queues(depths, queue_name) == (None, None)  # no such queue yet: unknown, not 0

    async def reject(delivery: Delivery) -> None:
        await delivery.nack(requeue=False)  # straight to the dead-letter queue

    subscription = await transport.consume(queue_name, reject)
    for number in range(2):
        await transport.publish(queue_name, Message(f'{{"n": {number}}}'.encode()))
    assert await counted(depths, queue_name, (0, 2)) == (0, 2)
    await subscription.cancel()

    for number in range(3):  # no consumer now: they wait
        await transport.publish(queue_name, Message(f'{{"n": {number}}}'.encode()))
    assert await counted(depths, queue_name, (3, 2)) == (3, 2)

    taken = await transport.get(queue_name)  # in a consumer's hands: no longer ready
    assert taken is not None
    assert await counted(depths, queue_name, (2, 2)) == (2, 2)
    await taken.ack()


@pytest.mark.amqp
async def test_rabbitmq_depths_are_unknown_when_the_broker_cannot_be_asked(amqp_url: str) -> None:
    never_connected = AmqpTransport(amqp_url, connection_name="lgsp-test-queue-depths")
    assert await service_queues(queue_depths(never_connected), "lgsp-test.any") == (None, None)

    closed = AmqpTransport(amqp_url, connection_name="lgsp-test-queue-depths")
    await asyncio.wait_for(closed.connect(), WAIT)
    await closed.close()
    assert await service_queues(queue_depths(closed), "lgsp-test.any") == (None, None)
