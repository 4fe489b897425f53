"""Fixtures for the transport contract: every contract test runs on MemoryTransport and on AmqpTransport,
the latter also given two node URLs and failed over from the first to the second before the test uses it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlparse

import aio_pika
import pytest

from bus.reliability.backoff import DELAY_BUCKETS_MS
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport, dead_letter_queue
from bus.transport.amqp_wire import retry_queue_name
from tests.support.fault_proxy import FaultProxy

TransportFactory = Callable[..., Awaitable[Transport]]

# Short so that reconnect tests stay bounded; production keeps AmqpTransport's default.
RECONNECT_INTERVAL = 0.5
FAILED_OVER = "amqp-failed-over"
# A robust connection sleeps this long after each connect before it handles a loss: the failed-over
# backend cuts its first node right after connecting, so it keeps the pause short.
FAILOVER_RECONNECT_INTERVAL = 0.1


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


@pytest.fixture(
    params=[
        "memory",
        pytest.param("amqp", marks=pytest.mark.amqp),
        pytest.param(FAILED_OVER, marks=pytest.mark.amqp),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Which transport the contract test runs on: memory, RabbitMQ, or RabbitMQ through two "nodes" (fault
    proxies in front of the one broker) after the first of them was lost."""
    return str(request.param)


class TwoNodes:
    """Two fault proxies in front of the one broker, standing for two cluster nodes."""

    def __init__(self, url: str) -> None:
        self.upstream = url
        parts = urlparse(url)
        self.first = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
        self.second = FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672)

    async def start(self) -> None:
        """Start both proxies."""
        await self.first.start()
        await self.second.start()

    async def stop(self) -> None:
        """Stop both proxies (closing what goes through them)."""
        await self.first.stop()
        await self.second.stop()

    @property
    def urls(self) -> str:
        """The transport's URL list: the first node, then the second."""
        return f"{self.first.url(self.upstream)},{self.second.url(self.upstream)}"

    async def fail_over(self, *transports: AmqpTransport) -> None:
        """Cut the first node under all `transports` at once, wait until each is restored on the second,
        open the first node again (for the next transport made). One cut for all: a transport already
        moved to the second node by an earlier cut would never see a second one."""
        restored = [asyncio.Event() for _ in transports]
        for transport, event in zip(transports, restored, strict=True):
            transport.connection.reconnect_callbacks.add(lambda _, event=event: event.set())
        self.first.cut()
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in restored)), 10)
        assert all(t.connection.url.port == self.second.port for t in transports)
        self.first.restore()


@pytest.fixture
async def queue_names(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], str]]:
    """Makes queue names no other test uses; on RabbitMQ they are deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"lgsp-test.{uuid.uuid4().hex[:12]}"
        made.append(name)
        return name

    yield make
    if backend != "memory" and made:
        await asyncio.wait_for(delete_queues(request.getfixturevalue("amqp_url"), made), 10)


@pytest.fixture
def queue_name(queue_names: Callable[[], str]) -> str:
    """One fresh queue name."""
    return queue_names()


@pytest.fixture
async def new_transport(
    backend: str, queue_names: Callable[[], str], request: pytest.FixtureRequest
) -> AsyncIterator[TransportFactory]:
    """Builds connected transports on one shared backend (like separate processes on one broker).

    All are closed at the end of the test; closing one earlier is how a test kills a consumer. The test's
    queues are deleted after that: deleted under a live consumer, a queue would be declared again by its
    robust channel (the consumer, cancelled by the broker, consumes it again) and left on the broker:
    hence `queue_names` here, set up before this fixture and so torn down after it."""
    made: list[Transport] = []
    broker = MemoryBroker()
    url = request.getfixturevalue("amqp_url") if backend != "memory" else ""
    nodes = TwoNodes(url) if backend == FAILED_OVER else None
    if nodes is not None:
        await nodes.start()
        url = nodes.urls

    async def make(*, delivery_limit: int = 5) -> Transport:
        transport: Transport
        if backend == "memory":
            transport = MemoryTransport(broker, delivery_limit=delivery_limit)
        else:
            transport = AmqpTransport(
                url,
                delivery_limit=delivery_limit,
                connection_name=f"lgsp-test-{request.node.name}",
                reconnect_interval=FAILOVER_RECONNECT_INTERVAL if nodes else RECONNECT_INTERVAL,
            )
        await asyncio.wait_for(transport.connect(), 10)
        made.append(transport)
        if nodes is not None and isinstance(transport, AmqpTransport):
            await nodes.fail_over(transport)
        return transport

    yield make
    for transport in made:
        await asyncio.wait_for(transport.close(), 10)
    if nodes is not None:
        await nodes.stop()


@pytest.fixture
async def transport(new_transport: TransportFactory) -> Transport:
    """One connected transport."""
    return await new_transport()
