"""The `journey_stack` and `citizen_stack` fixtures: every journey test runs on memory and on RabbitMQ
+ Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bus.events import event_queue
from bus.flows.journey_settings import JourneySettings
from bus.store import MemoryStore, RedisStore, Store
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport
from tests.flows.citizen_stack import CitizenStack
from tests.flows.journey_stack import JourneyStack, unique_names
from tests.store.conftest import bounded, delete_prefixed
from tests.transport.conftest import delete_queues

EVENT_NAMES = ("paid", "failed", "supplemented")


@pytest.fixture(
    params=["memory", pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
)
async def journey_stack(request: pytest.FixtureRequest) -> AsyncIterator[JourneyStack]:
    """A started-on-demand journey stack; everything it made is stopped and removed afterwards."""
    subsystem, queue, prefix = unique_names()
    made: list[Transport] = []
    broker = MemoryBroker()
    store: Store
    if request.param == "memory":
        amqp_url = ""
        store = MemoryStore()
    else:
        amqp_url = request.getfixturevalue("amqp_url")
        redis_url = request.getfixturevalue("redis_url")
        store = RedisStore(bounded(redis_url), prefix=f"lgsp-test:{prefix}:")
        await store.connect()

    async def make_transport() -> Transport:
        transport: Transport
        if request.param == "memory":
            transport = MemoryTransport(broker)
        else:
            transport = AmqpTransport(amqp_url, connection_name=f"lgsp-test-{prefix}", reconnect_interval=0.5)
        await asyncio.wait_for(transport.connect(), 10)
        made.append(transport)
        return transport

    settings = JourneySettings(
        queue=queue,
        store_prefix="flows:",
        lease_seconds=1.5,
        busy_retry_seconds=0.1,
        timer_recheck_seconds=0.05,
        recheck_seconds=0.2,
        deferral_seconds=0.1,
    )
    stack = JourneyStack(request.param, make_transport, store, subsystem, settings, prefix)
    try:
        yield stack
    finally:
        for engine in stack.engines:
            await engine.stop(drain_seconds=0.5)
        if stack.worker is not None:
            await stack.worker.stop()
        for transport in made:
            await asyncio.wait_for(transport.close(), 10)
        if request.param != "memory":
            queues = [queue, *(s.id.queue_name for s in stack.catalog.services)]
            queues += [event_queue(stack.event_type(name)) for name in EVENT_NAMES]
            await asyncio.wait_for(delete_queues(amqp_url, queues), 30)
            await store.close()
            await delete_prefixed(request.getfixturevalue("redis_url"), f"lgsp-test:{prefix}:")


@pytest.fixture(
    params=["memory", pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
)
async def citizen_stack(request: pytest.FixtureRequest) -> AsyncIterator[CitizenStack]:
    """A citizen-journey stack on one backend; what it made is stopped and removed afterwards."""
    subsystem, queue, prefix = unique_names()
    made: list[Transport] = []
    broker = MemoryBroker()
    store: Store
    if request.param == "memory":
        amqp_url, store = "", MemoryStore()
    else:
        amqp_url = request.getfixturevalue("amqp_url")
        store = RedisStore(bounded(request.getfixturevalue("redis_url")), prefix=f"lgsp-test:{prefix}:")
        await store.connect()

    async def make_transport() -> Transport:
        transport: Transport
        if request.param == "memory":
            transport = MemoryTransport(broker)
        else:
            transport = AmqpTransport(amqp_url, connection_name=f"lgsp-test-{prefix}", reconnect_interval=0.5)
        await asyncio.wait_for(transport.connect(), 10)
        made.append(transport)
        return transport

    settings = JourneySettings(
        queue=queue, store_prefix="flows:", lease_seconds=1.5, busy_retry_seconds=0.1,
        timer_recheck_seconds=0.05, recheck_seconds=0.2, deferral_seconds=0.1,
    )  # fmt: skip
    built = CitizenStack(request.param, make_transport, store, subsystem, settings, prefix)
    try:
        yield built
    finally:
        for engine in built.engines:
            await engine.stop(drain_seconds=0.5)
        if built.worker is not None:
            await built.worker.stop()
        await built.close_systems()
        for transport in made:
            await asyncio.wait_for(transport.close(), 10)
        if request.param != "memory":
            queues = [
                queue,
                *(s.id.queue_name for s in built.catalog.services),
                *(event_queue(built.event_type(name)) for name in EVENT_NAMES),
            ]
            await asyncio.wait_for(delete_queues(amqp_url, queues), 30)
            await store.close()
            await delete_prefixed(request.getfixturevalue("redis_url"), f"lgsp-test:{prefix}:")
