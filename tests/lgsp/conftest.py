"""`backend` and `citizen_journeys`: the real journeys over the real mocks, on memory and on RabbitMQ +
Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.faults import Latency
from services.lltp.settings import LltpSettings
from services.motcua.settings import MotcuaSettings
from services.portal.settings import PortalSettings
from services.registry import PORTAL_DEMO_KEY
from services.residence.settings import ResidenceSettings
from tests.backends import BACKENDS, Backend, open_backend
from tests.lgsp.citizen_journeys import (
    CitizenJourneys,
    citizen_token,
    journeys_catalog,
    start_citizen_journeys,
    stop_citizen_journeys,
)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Memory, or RabbitMQ + Redis under a unique prefix; closed (queues and keys removed) afterwards."""
    async with open_backend(request) as opened:
        yield opened


@pytest.fixture
def residence_settings() -> ResidenceSettings:
    """The residence mock's settings (no verification, no late dossier unless a test says so)."""
    return ResidenceSettings(registration_days=1, removal_days=0, verification_rate=0.0, late_rate=0.0)


@pytest.fixture
def motcua_settings() -> MotcuaSettings:
    """The one-stop system's settings: officers who approve every dossier handed over (a test
    parametrising `motcua_settings` says otherwise); no progress reports of its own."""
    return MotcuaSettings(gateway_url=None, latency=Latency(), refusal_rate=0.0, supplement_rate=0.0)


@pytest.fixture
def lltp_settings() -> LltpSettings:
    """The judicial-records system's settings: certificates issued in 2 working days (3 for several
    provinces), none refused, none late (unless a test says otherwise)."""
    return LltpSettings(certificate_days=2, several_places_days=3, refusal_rate=0.0, late_rate=0.0)


@pytest.fixture
def portal_settings() -> PortalSettings:
    """The portal's settings: citizens who pay their fees promptly (unless a test says otherwise)."""
    return PortalSettings(
        gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY, late_payment_rate=0.0, failed_payment_rate=0.0,
        abandoned_payment_rate=0.0,
    )  # fmt: skip


@pytest.fixture
async def citizen_journeys(
    backend: Backend,
    residence_settings: ResidenceSettings,
    motcua_settings: MotcuaSettings,
    portal_settings: PortalSettings,
    lltp_settings: LltpSettings,
) -> AsyncIterator[CitizenJourneys]:
    """Started; stopped (its queues and keys removed by `backend`) afterwards."""
    token = citizen_token(backend)
    stack = await start_citizen_journeys(
        await backend.transport(), await backend.transport(), backend.store, token=token,
        residence=residence_settings, motcua=motcua_settings, portal=portal_settings,
        lltp=lltp_settings,
    )  # fmt: skip
    services = journeys_catalog(token).services
    backend.queues += [stack.runtime.settings.queue, *(s.id.queue_name for s in services)]
    try:
        yield stack
    finally:
        await stop_citizen_journeys(stack)
