"""`citizen_journeys`: the real journeys over the real mocks, on memory and on RabbitMQ + Redis; `backend`:
the transports and Store of one such bus, removed afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from bus.store import MemoryStore, RedisStore, Store
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport
from services.residence.settings import ResidenceSettings
from tests.lgsp.citizen_journeys import (
    CitizenJourneys,
    start_citizen_journeys,
    stop_citizen_journeys,
    test_catalog,
)
from tests.store.conftest import bounded, delete_prefixed
from tests.transport.conftest import delete_queues


@dataclass
class Backend:
    """One bus's backend: a unique token, its Store, and new transports (each closed afterwards, with the
    `queues` named here deleted and the Store's keys removed on RabbitMQ + Redis)."""

    name: str
    token: str
    store: Store
    transport: Callable[[], Awaitable[Transport]]
    queues: list[str] = field(default_factory=list)


@pytest.fixture(
    params=["memory", pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Memory, or RabbitMQ + Redis under a unique prefix."""
    token = f"T{uuid.uuid4().hex[:8].upper()}"
    made: list[Transport] = []
    broker = MemoryBroker()
    store: Store
    if request.param == "memory":
        store = MemoryStore()
    else:
        amqp_url: str = request.getfixturevalue("amqp_url")
        redis_url: str = request.getfixturevalue("redis_url")
        store = RedisStore(bounded(redis_url), prefix=f"lgsp-test:{token}:")
        await store.connect()

    async def transport() -> Transport:
        made_one: Transport = (
            MemoryTransport(broker)
            if request.param == "memory"
            else AmqpTransport(amqp_url, connection_name=f"lgsp-test-{token}", reconnect_interval=0.5)
        )
        await asyncio.wait_for(made_one.connect(), 10)
        made.append(made_one)
        return made_one

    used = Backend(request.param, token, store, transport)
    try:
        yield used
    finally:
        for each in made:
            await asyncio.wait_for(each.close(), 10)
        if request.param != "memory":
            await asyncio.wait_for(delete_queues(amqp_url, used.queues), 30)
            await store.close()
            await delete_prefixed(redis_url, f"lgsp-test:{token}:")


@pytest.fixture
def residence_settings() -> ResidenceSettings:
    """The residence mock's settings (no verification, no late dossier unless a test says so)."""
    return ResidenceSettings(registration_days=1, removal_days=0, verification_rate=0.0, late_rate=0.0)


@pytest.fixture
async def citizen_journeys(
    backend: Backend, residence_settings: ResidenceSettings
) -> AsyncIterator[CitizenJourneys]:
    """Started; stopped (its queues and keys removed by `backend`) afterwards."""
    stack = await start_citizen_journeys(
        await backend.transport(), await backend.transport(), backend.store, token=backend.token,
        residence=residence_settings,
    )  # fmt: skip
    backend.queues += [
        stack.runtime.settings.queue,
        *(s.id.queue_name for s in test_catalog(backend.token).services),
    ]
    try:
        yield stack
    finally:
        await stop_citizen_journeys(stack)
