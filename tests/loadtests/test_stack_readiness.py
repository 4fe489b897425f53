"""A RabbitMQ stack is ready only when its workers consume every service queue."""

from __future__ import annotations

import uuid

import aio_pika
import pytest

from loadtests.stack import wait_for_consumers

pytestmark = pytest.mark.amqp


async def test_ready_once_every_queue_has_its_consumers_and_never_before(amqp_url: str) -> None:
    queue = f"lgsp-test.readiness.{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, auto_delete=True)
        with pytest.raises(TimeoutError, match=f"{queue} has 0 consumer"):
            await wait_for_consumers(amqp_url, [queue], 1, timeout=0.5)

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()

        await declared.consume(keep)
        await wait_for_consumers(amqp_url, [queue], 1, timeout=5)
        with pytest.raises(TimeoutError, match=f"{queue} has 1 consumer\\(s\\), not 2"):
            await wait_for_consumers(amqp_url, [queue], 2, timeout=0.5)


async def test_a_queue_nobody_declared_is_not_ready(amqp_url: str) -> None:
    missing = f"lgsp-test.readiness.never.{uuid.uuid4().hex[:8]}"
    with pytest.raises(TimeoutError, match=missing):
        await wait_for_consumers(amqp_url, [missing], 1, timeout=0.5)
