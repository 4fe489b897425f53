"""The bus backends a test behind an interface runs on: memory, or RabbitMQ + Redis under unique names.

A fixture takes `params=BACKENDS` and opens its backend with `open_backend(request)`; what the test made
there (its transports, the queues it names, its store keys) is closed and removed when the block ends.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from bus.flows.journey_settings import JourneySettings
from bus.store import MemoryStore, RedisStore, Store
from bus.transport import AmqpTransport, MemoryBroker, MemoryTransport, Transport
from tests.store.conftest import bounded, delete_prefixed
from tests.transport.conftest import delete_queues

MEMORY = "memory"
BACKENDS = [MEMORY, pytest.param("rabbitmq+redis", marks=[pytest.mark.amqp, pytest.mark.redis])]
CONNECT_SECONDS = 60.0


@dataclass
class Backend:
    """A store and a source of connected transports on one backend; `token` is unique to the test."""

    kind: str
    store: Store
    token: str
    key_prefix: str  # of every store key the test writes
    amqp_url: str = ""
    redis_url: str = ""
    queues: list[str] = field(default_factory=list)  # removed at the end (on RabbitMQ)
    _broker: MemoryBroker = field(default_factory=MemoryBroker)
    _made: list[Transport] = field(default_factory=list)

    async def transport(self) -> Transport:
        """A new transport, connected; closed when the backend is."""
        transport: Transport = (
            MemoryTransport(self._broker)
            if self.kind == MEMORY
            else AmqpTransport(
                self.amqp_url, connection_name=f"lgsp-test-{self.token}", reconnect_interval=0.5
            )
        )
        # Bounded so that a wedged broker fails the test, generously: a connection and its three channels
        # once took over 10 s on a 2-core machine at load 20.
        await asyncio.wait_for(transport.connect(), CONNECT_SECONDS)
        self._made.append(transport)
        return transport

    async def close(self) -> None:
        """Close the transports; on RabbitMQ + Redis remove `queues` and the store's keys."""
        for transport in self._made:
            await asyncio.wait_for(transport.close(), 10)
        if self.kind != MEMORY:
            await asyncio.wait_for(delete_queues(self.amqp_url, self.queues), 30)
            await self.store.close()
            await delete_prefixed(self.redis_url, self.key_prefix)


@asynccontextmanager
async def open_backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """The backend `request.param` names (a fixture parametrised with BACKENDS), closed afterwards."""
    token = uuid.uuid4().hex[:10]
    key_prefix = f"lgsp-test:{token}:"
    if request.param == MEMORY:
        backend = Backend(MEMORY, MemoryStore(), token, key_prefix)
    else:
        amqp_url: str = request.getfixturevalue("amqp_url")
        redis_url: str = request.getfixturevalue("redis_url")
        store = RedisStore(bounded(redis_url), prefix=key_prefix)
        await store.connect()
        backend = Backend(request.param, store, token, key_prefix, amqp_url, redis_url)
    try:
        yield backend
    finally:
        await backend.close()


def quick_journey_settings(queue: str, busy_retry_seconds: float = 0.1) -> JourneySettings:
    """Journey settings for tests: short leases and rechecks, a queue of the test's own."""
    return JourneySettings(
        queue=queue, store_prefix="flows:", lease_seconds=1.5, busy_retry_seconds=busy_retry_seconds,
        timer_recheck_seconds=0.05, recheck_seconds=0.2, deferral_seconds=0.1,
    )  # fmt: skip
