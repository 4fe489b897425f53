"""The `journey_stack` and `citizen_stack` fixtures: every journey test runs on memory and on RabbitMQ
+ Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.backends import BACKENDS
from tests.flows.citizen_stack import CitizenStack
from tests.flows.journey_stack import JourneyStack, stack_on


@pytest.fixture(params=BACKENDS)
async def journey_stack(request: pytest.FixtureRequest) -> AsyncIterator[JourneyStack]:
    """A started-on-demand journey stack; everything it made is stopped and removed afterwards."""
    async with stack_on(request, JourneyStack) as stack:
        yield stack


@pytest.fixture(params=BACKENDS)
async def citizen_stack(request: pytest.FixtureRequest) -> AsyncIterator[CitizenStack]:
    """A citizen-journey stack on one backend; what it made is stopped and removed afterwards."""
    async with stack_on(request, CitizenStack) as built:
        yield built
