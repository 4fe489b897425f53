"""Fault proxies in front of the machine's RabbitMQ and Redis (the real services are never stopped)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest

from tests.support.fault_proxy import FaultProxy


async def _proxy(url: str, default_port: int) -> AsyncIterator[FaultProxy]:
    parts = urlparse(url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or default_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def broker_proxy(amqp_url: str) -> AsyncIterator[FaultProxy]:
    """A proxy to RabbitMQ; use `broker_proxy.url(amqp_url)` as the bus's AMQP URL."""
    async for proxy in _proxy(amqp_url, 5672):
        yield proxy


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[FaultProxy]:
    """A proxy to Redis; use `redis_proxy.url(redis_url)` as the bus's Redis URL."""
    async for proxy in _proxy(redis_url, 6379):
        yield proxy


@pytest.fixture
async def second_broker_proxy(amqp_url: str) -> AsyncIterator[FaultProxy]:
    """Another proxy to the same RabbitMQ: with `broker_proxy`, two "nodes" of a cluster to fail over
    between (`broker_proxy.url(amqp_url)`, then `second_broker_proxy.url(amqp_url)`)."""
    async for proxy in _proxy(amqp_url, 5672):
        yield proxy
