"""`citizen_journeys`: the real journeys over the real mocks, on memory and on RabbitMQ + Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

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


@pytest.fixture
def residence_settings() -> ResidenceSettings:
    """The residence mock's settings (no verification, no late dossier unless a test says so)."""
    return ResidenceSettings(registration_days=1, removal_days=0, verification_rate=0.0, late_rate=0.0)


@pytest.fixture(
    params=["memory", pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
)
async def citizen_journeys(
    request: pytest.FixtureRequest, residence_settings: ResidenceSettings
) -> AsyncIterator[CitizenJourneys]:
    """Started; stopped and its queues and keys removed afterwards."""
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

    stack = await start_citizen_journeys(
        await transport(), await transport(), store, token=token, residence=residence_settings
    )
    try:
        yield stack
    finally:
        await stop_citizen_journeys(stack)
        for each in made:
            await asyncio.wait_for(each.close(), 10)
        if request.param != "memory":
            queues = [stack.runtime.settings.queue, *(s.id.queue_name for s in test_catalog(token).services)]
            await asyncio.wait_for(delete_queues(amqp_url, queues), 30)
            await store.close()
            await delete_prefixed(redis_url, f"lgsp-test:{token}:")
