"""`citizen_journeys`: the real journeys over the real mocks, on memory and on RabbitMQ + Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.residence.settings import ResidenceSettings
from tests.backends import BACKENDS, open_backend
from tests.lgsp.citizen_journeys import (
    CitizenJourneys,
    start_citizen_journeys,
    stop_citizen_journeys,
    test_catalog,
)


@pytest.fixture
def residence_settings() -> ResidenceSettings:
    """The residence mock's settings (no verification, no late dossier unless a test says so)."""
    return ResidenceSettings(registration_days=1, removal_days=0, verification_rate=0.0, late_rate=0.0)


@pytest.fixture(params=BACKENDS)
async def citizen_journeys(
    request: pytest.FixtureRequest, residence_settings: ResidenceSettings
) -> AsyncIterator[CitizenJourneys]:
    """Started; stopped and its queues and keys removed afterwards."""
    async with open_backend(request) as backend:
        token = f"T{backend.token[:8].upper()}"
        stack = await start_citizen_journeys(
            await backend.transport(), await backend.transport(), backend.store, token=token,
            residence=residence_settings,
        )  # fmt: skip
        try:
            yield stack
        finally:
            await stop_citizen_journeys(stack)
            backend.queues += [
                stack.runtime.settings.queue,
                *(s.id.queue_name for s in test_catalog(token).services),
            ]
