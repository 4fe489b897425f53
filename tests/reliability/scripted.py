"""A worker on the memory transport serving one service with a scripted adapter, for reliability tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from bus.catalog import Catalog, ServiceSpec, hash_api_key
from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope, Reply
from bus.errors import BusError
from bus.store.base import Store
from bus.store.memory import MemoryStore
from bus.transport import MemoryBroker, MemoryTransport, Transport
from bus.worker import Worker
from tests.backends import Backend

SERVICE_ID = "VN/GOV/HPG/RELTEST/Scripted/v1"
CLIENT_ID = "VN/GOV/HPG/STP"
WAIT = 10.0


@dataclass
class ScriptedAdapter:
    """Raises the scripted errors in turn (then answers); records each call's attempt and time."""

    script: Sequence[BusError | None] = ()
    delay: float = 0.0
    calls: list[tuple[int, float]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # each call's request code
    budgets: list[float] = field(default_factory=list)  # each call's time left before its deadline

    async def handle(self, request: Envelope) -> JsonValue:
        index = len(self.calls)
        self.calls.append((request.attempt, time.monotonic()))
        self.codes.append(request.request_code)
        self.budgets.append(request.seconds_left())
        if self.delay:
            await asyncio.sleep(self.delay)
        step = self.script[index] if index < len(self.script) else None
        if step is not None:
            raise step
        return {"answer": request.payload, "attempt": request.attempt}


def scripted_catalog(service_id: str = SERVICE_ID, **service: Any) -> Catalog:
    """One client and one service on the `scripted` adapter, with the given service fields."""
    return Catalog.model_validate(
        {
            "adapters": {"scripted": {}},
            "clients": [{"id": CLIENT_ID, "api_key_sha256": [hash_api_key("k")]}],
            "services": [{"id": service_id, "adapter": "scripted", "allow": [CLIENT_ID], **service}],
        }
    )


@dataclass
class Served:
    """What a test drives: the transport, the worker(s), the adapter and the service."""

    transport: Transport
    workers: list[Worker]
    adapter: ScriptedAdapter
    service: ServiceSpec

    @property
    def queue(self) -> str:
        return self.service.id.queue_name

    def envelope(self, payload: JsonValue = None, *, timeout: float | None = None) -> Envelope:
        envelope = Envelope(client=CLIENT_ID, service=self.service.id, payload=payload)
        return envelope.with_deadline(timeout if timeout is not None else self.service.timeout)

    async def call(self, envelope: Envelope, *, wait: float = WAIT) -> Reply:
        answer = await self.transport.request(self.queue, envelope_message(envelope), timeout=wait)
        return decode_reply(answer)


@asynccontextmanager
async def serving(
    adapter: ScriptedAdapter,
    *,
    workers: int = 1,
    store: Store | None = None,
    backend: Backend | None = None,
    **service: Any,
) -> AsyncIterator[Served]:
    """`workers` workers sharing one broker and one store, serving the scripted service: on one memory
    broker, or on `backend` (its transports and store, under a service id of the test's own)."""
    if backend is None:
        catalog = scripted_catalog(**service)
        shared = store if store is not None else MemoryStore()
        broker = MemoryBroker()

        async def connected() -> Transport:
            transport = MemoryTransport(broker)
            await transport.connect()
            return transport
    else:
        catalog = scripted_catalog(f"VN/GOV/HPG/REL{backend.token.upper()}/Scripted/v1", **service)
        shared = backend.store
        backend.queues.append(catalog.services[0].id.queue_name)
        connected = backend.transport
    caller = await connected()
    started = []
    for index in range(workers):
        worker = Worker(
            catalog, await connected(), {"scripted": adapter}, name=f"w{index + 1}", store=shared,
            drain_seconds=1,
        )  # fmt: skip
        await worker.start()
        started.append(worker)
    try:
        yield Served(caller, started, adapter, catalog.services[0])
    finally:
        for worker in started:
            await worker.stop()
            await worker.transport.close()
        await caller.close()
