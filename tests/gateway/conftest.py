"""Every gateway test runs on the memory store and on Redis (db 15, unique prefix, cleaned up)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.gateway.stack import Backend, Bus, running_bus


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    shared = Backend(request.param, url)
    try:
        yield shared
    finally:
        await shared.close()


@pytest.fixture
async def bus(backend: Backend) -> AsyncIterator[Bus]:
    async with running_bus(store=backend.store()) as running:
        yield running
