"""Fault proxies in front of the machine's RabbitMQ and Redis (the real services are never stopped)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fault_proxy import FaultProxy, proxy_to


@pytest.fixture
async def broker_proxy(amqp_url: str) -> AsyncIterator[FaultProxy]:
    """A proxy to RabbitMQ; use `broker_proxy.url(amqp_url)` as the bus's AMQP URL."""
    async with proxy_to(amqp_url, 5672) as proxy:
        yield proxy


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[FaultProxy]:
    """A proxy to Redis; use `redis_proxy.url(redis_url)` as the bus's Redis URL."""
    async with proxy_to(redis_url, 6379) as proxy:
        yield proxy


@pytest.fixture
async def second_broker_proxy(amqp_url: str) -> AsyncIterator[FaultProxy]:
    """Another proxy to the same RabbitMQ: with `broker_proxy`, two "nodes" of a cluster to fail over
    between (`broker_proxy.url(amqp_url)`, then `second_broker_proxy.url(amqp_url)`)."""
    async with proxy_to(amqp_url, 5672) as proxy:
        yield proxy
