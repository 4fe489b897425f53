"""The `journey_stack` fixture: every journey test runs on memory and on RabbitMQ + Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.backends import BACKENDS
from tests.flows.journey_stack import JourneyStack, stack_on


@pytest.fixture(params=BACKENDS)
async def journey_stack(request: pytest.FixtureRequest) -> AsyncIterator[JourneyStack]:
    """A started-on-demand journey stack; everything it made is stopped and removed afterwards."""
    async with stack_on(request, JourneyStack) as stack:
        yield stack
