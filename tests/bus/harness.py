"""A gateway + worker pair on one transport, with test adapters, driven through httpx in-process."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
from pydantic import JsonValue

from adapters.base import Adapter
from adapters.echo import EchoAdapter
from bus.catalog import Catalog, ServiceSpec, hash_api_key
from bus.envelope import Envelope
from bus.errors import DuplicateRequest, ProviderError
from bus.gateway.app import create_gateway
from bus.transport import Message, Transport, make_transport
from bus.transport.base import Delivery, Handler, Subscription, dead_letter_queue
from bus.worker import Worker

KEY = "right-key"
OTHER_KEY = "other-key"


class FailingAdapter:
    """Always fails the way a broken provider does."""

    async def handle(self, request: Envelope) -> JsonValue:
        raise ProviderError("provider answered 500")


class CrashingAdapter:
    """An adapter with a bug."""

    async def handle(self, request: Envelope) -> JsonValue:
        raise ZeroDivisionError("bug")


class RecordingTransport:
    """Delegates to a real transport and counts what the gateway sends."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.sent: list[str] = []

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def publish(self, queue: str, message: Message) -> None:
        self.sent.append(queue)
        await self.inner.publish(queue, message)

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        self.sent.append(queue)
        try:
            return await self.inner.request(queue, message, timeout)
        except DuplicateRequest:
            self.sent.remove(queue)  # refused before anything was published: not sent
            raise

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        await self.inner.publish_delayed(queue, message, delay)

    async def get(self, queue: str) -> Delivery | None:
        return await self.inner.get(queue)

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> Subscription:
        return await self.inner.consume(queue, handler, prefetch=prefetch, max_length=max_length)


def test_catalog(subsystem: str) -> Catalog:
    """Two clients, five services of a unique subsystem (so parallel runs never share queues)."""
    return Catalog.model_validate(
        {
            "adapters": {"echo": {}, "slow": {}, "failing": {}, "crashing": {}},
            "clients": [
                {"id": "VN/GOV/HPG/STP", "groups": ["province"], "api_key_sha256": [hash_api_key(KEY)]},
                {"id": "VN/GOV/HPG/OTHER", "api_key_sha256": [hash_api_key(OTHER_KEY)]},
            ],
            "services": [
                {"id": f"VN/GOV/HPG/{subsystem}/Echo/v1", "adapter": "echo", "allow": ["group:province"]},
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Slow/v1",
                    "adapter": "slow",
                    "timeout": 0.5,
                    "allow": ["VN/GOV/HPG/STP"],
                },
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Failing/v1",
                    "adapter": "failing",
                    "allow": ["VN/GOV/HPG/STP"],
                },
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Crashing/v1",
                    "adapter": "crashing",
                    "allow": ["VN/GOV/HPG/STP"],
                },
                {
                    "id": f"VN/GOV/HPG/{subsystem}/Orphan/v1",
                    "adapter": "echo",
                    "timeout": 0.3,
                    "allow": ["VN/GOV/HPG/STP"],
                },
            ],
        }
    )


def test_adapters() -> Mapping[str, Adapter]:
    return {
        "echo": EchoAdapter({}),
        "slow": EchoAdapter({"delay": 3.0}),
        "failing": FailingAdapter(),
        "crashing": CrashingAdapter(),
    }


@dataclass
class Stack:
    """What a test drives: an httpx client on the gateway, and what the gateway sent."""

    client: httpx.AsyncClient
    transport: RecordingTransport
    catalog: Catalog
    subsystem: str

    def service(self, service_code: str) -> ServiceSpec:
        return next(s for s in self.catalog.services if s.id.service_code == service_code)

    def url(self, service_code: str, path: str = "") -> str:
        return f"/r1/VN/GOV/HPG/{self.subsystem}/{service_code}/v1" + (f"/{path}" if path else "")


async def _delete_queues(amqp_url: str, catalog: Catalog) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for service in catalog.services:
            for name in (service.id.queue_name, dead_letter_queue(service.id.queue_name)):
                await channel.queue_delete(name)


@asynccontextmanager
async def running_stack(transport_url: str | None, **gateway_options: Any) -> AsyncIterator[Stack]:
    """Gateway and worker sharing one transport (as in `lgsp run`); queues removed afterwards."""
    subsystem = "T" + secrets.token_hex(4).upper()
    catalog = test_catalog(subsystem)
    transport = RecordingTransport(make_transport(transport_url, connection_name="lgsp-test"))
    await transport.connect()
    hosted = [str(s.id) for s in catalog.services if s.id.service_code != "Orphan"]
    worker = Worker(catalog, transport, test_adapters(), name="test-worker", only=hosted, drain_seconds=1)
    await worker.start()
    app = create_gateway(catalog, transport, manage_transport=False, **gateway_options)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield Stack(client, transport, catalog, subsystem)
    finally:
        await worker.stop()
        await transport.close()
        if transport_url is not None:
            await asyncio.wait_for(_delete_queues(transport_url, catalog), 10)
