"""Fixtures for the transport contract: every contract test runs on MemoryTransport and on AmqpTransport."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import pytest

from bus.reliability.backoff import DELAY_BUCKETS_MS
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport, dead_letter_queue
from bus.transport.amqp_wire import retry_queue_name

TransportFactory = Callable[..., Awaitable[Transport]]

# Short so that reconnect tests stay bounded; production keeps AmqpTransport's default.
RECONNECT_INTERVAL = 0.5


async def delete_queues(url: str, names: list[str]) -> None:
    """Remove the queues a test declared (and their dead-letter queues)."""
    connection = await aio_pika.connect(url, timeout=5)
    try:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
            await channel.queue_delete(dead_letter_queue(name))
            for bucket in DELAY_BUCKETS_MS:  # retry queues of delayed publishes, if any were declared
                await channel.queue_delete(retry_queue_name(name, bucket))
    finally:
        await connection.close()


@pytest.fixture(params=["memory", pytest.param("amqp", marks=pytest.mark.amqp)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which transport the contract test runs on."""
    return str(request.param)


@pytest.fixture
async def queue_names(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], str]]:
    """Makes queue names no other test uses; on RabbitMQ they are deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"lgsp-test.{uuid.uuid4().hex[:12]}"
        made.append(name)
        return name

    yield make
    if backend == "amqp" and made:
        await asyncio.wait_for(delete_queues(request.getfixturevalue("amqp_url"), made), 10)


@pytest.fixture
def queue_name(queue_names: Callable[[], str]) -> str:
    """One fresh queue name."""
    return queue_names()


@pytest.fixture
async def new_transport(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[TransportFactory]:
    """Builds connected transports on one shared backend (like separate processes on one broker).

    All are closed at the end of the test; closing one earlier is how a test kills a consumer."""
    made: list[Transport] = []
    broker = MemoryBroker()
    url = request.getfixturevalue("amqp_url") if backend == "amqp" else ""

    async def make(*, delivery_limit: int = 5) -> Transport:
        transport: Transport
        if backend == "memory":
            transport = MemoryTransport(broker, delivery_limit=delivery_limit)
        else:
            transport = AmqpTransport(
                url,
                delivery_limit=delivery_limit,
                connection_name=f"lgsp-test-{request.node.name}",
                reconnect_interval=RECONNECT_INTERVAL,
            )
        await asyncio.wait_for(transport.connect(), 10)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        await asyncio.wait_for(transport.close(), 10)


@pytest.fixture
async def transport(new_transport: TransportFactory) -> Transport:
    """One connected transport."""
    return await new_transport()
