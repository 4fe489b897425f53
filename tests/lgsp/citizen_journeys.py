"""The province's real journeys (lgsp/journeys/*.yaml) on a bus whose workers call the real mocks in
process (ASGI), with a compressed clock the mocks follow: one working day in `DAY_SECONDS`.

Service ids get a unique subsystem suffix (in the catalog and the definitions alike), so on RabbitMQ
the test's queues are its own.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import yaml
from fastapi import FastAPI

from adapters.civil import CivilAdapter, CivilConfig
from adapters.insurance import InsuranceAdapter, InsuranceConfig
from adapters.lltp import LltpAdapter, LltpConfig
from adapters.motcua import MotcuaAdapter, MotcuaConfig
from adapters.payment.adapter import PaymentAdapter, PaymentConfig
from adapters.population import PopulationAdapter, PopulationConfig
from adapters.portal import PortalAdapter, PortalConfig
from adapters.residence import ResidenceAdapter, ResidenceConfig
from adapters.social import SocialAdapter, SocialConfig
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.adapter import Adapter
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog
from bus.flows import (
    VIETNAM_TZ,
    CompressedClock,
    JourneyDefinition,
    JourneyRecord,
    WorkingCalendar,
    WorkingDayPace,
    load_journey,
)
from bus.gateway.access import AccessControl
from bus.gateway.ratelimit import MemoryRateLimiter
from bus.store.base import Store
from bus.transaction import TransactionRecord
from bus.transport.base import Transport
from bus.worker import Worker
from lgsp.default_catalog import DEFAULT_CATALOG
from lgsp.journey_runtime import JourneyRuntime, MockClockFollower
from lgsp.journeys import load_definitions
from services.citizens import Population
from services.civil.app import create_app as civil_app
from services.faults import Latency
from services.insurance.app import create_app as insurance_app
from services.insurance.settings import InsuranceSettings
from services.lltp.app import create_app as lltp_app
from services.lltp.settings import LltpSettings
from services.motcua.app import create_app as motcua_app
from services.motcua.settings import MotcuaSettings
from services.payment.app import create_app as payment_app
from services.payment.settings import PaymentSettings
from services.population.app import create_app as population_app
from services.portal.app import create_app as portal_app
from services.portal.settings import PortalSettings
from services.residence.app import create_app as residence_app
from services.residence.settings import ResidenceSettings
from services.social.app import create_app as social_app
from services.social.settings import SocialSettings
from services.vnpost.app import create_app as vnpost_app
from services.vnpost.settings import VnpostSettings
from tests.backends import Backend, quick_journey_settings
from vn_calendar import vietnam_today

ADAPTERS = (
    "population",
    "civil",
    "portal",
    "residence",
    "insurance",
    "social",
    "payment",
    "lltp",
    "motcua",
    "vnpost",
)
# The mocks that follow the bus's clock.
CLOCKED = ("population", "residence", "insurance", "social", "lltp", "motcua", "vnpost", "portal")
DAY_SECONDS = 1.0  # wall seconds per working day: a simulated hour is 125 ms, room for a loaded machine
POPULATION_SIZE = 3000


class RecordingSink:
    """Every transaction record the journeys' calls made."""

    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        """Keep it."""
        self.records.append(record)


def renamed(text: str, token: str) -> str:
    """Service ids `A/B/C/D/Svc/v1` of the national systems with their subsystem made unique."""
    for prefix in ("VN/GOV/BTP/HOTICH", "VN/GOV/DVCQG/PORTAL", "VN/GOV/BCA/CSDLCT", "VN/GOV/BHXH/VSS",
                   "VN/GOV/BLDTBXH/BTXH", "VN/GOV/BCA/CSDLDC", "VN/GOV/NAPAS/PAYGOV", "VN/GOV/HPG/MOTCUA",
                   "VN/GOV/BTP/LLTP",
                   "VN/COM/VNPOST/BCCP"):  # fmt: skip
        text = text.replace(prefix + "/", f"{prefix}{token}/")
    return text


def citizen_token(backend: Backend) -> str:
    """The backend's unique token in the form the renamed service ids take (`T` + 8 upper-case hex)."""
    return f"T{backend.token[:8].upper()}"


def journeys_catalog(token: str, timeout: float | None = None) -> Catalog:
    """The default catalog's clients and the journeys' services, renamed (each answering within
    `timeout` seconds when given)."""
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["services"] = [
        s | ({"timeout": timeout} if timeout else {}) for s in data["services"] if s["adapter"] in ADAPTERS
    ]
    data["adapters"] = {name: {} for name in ADAPTERS}
    return Catalog.model_validate(json.loads(renamed(json.dumps(data), token)))


def journey_definitions(token: str) -> list[JourneyDefinition]:
    """lgsp/journeys' definitions, renamed."""
    return [
        load_journey(json.loads(renamed(json.dumps(d.model_dump(mode="json", exclude_none=True)), token)))
        for d in load_definitions()
    ]


@dataclass
class Mocks:
    """The national systems' mocks over one population, and ASGI clients on them."""

    population: Population
    apps: dict[str, FastAPI] = field(default_factory=dict)

    def transport(self, name: str) -> httpx.AsyncBaseTransport:
        """An in-process transport to mock `name`."""
        return httpx.ASGITransport(app=self.apps[name])

    def client(self, name: str) -> httpx.AsyncClient:
        """A client on mock `name`'s control routes."""
        return httpx.AsyncClient(transport=self.transport(name), base_url=f"http://{name}")


class HostRouting(httpx.AsyncBaseTransport):
    """Requests to `host:port` go to that mock in process (a citizen's browser on the payment page)."""

    def __init__(self, apps: Mapping[str, FastAPI]) -> None:
        self._transports = {netloc: httpx.ASGITransport(app=app) for netloc, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Hand the request to the mock at its host and port."""
        netloc = request.url.netloc.decode()
        transport = self._transports.get(netloc)
        if transport is None:
            raise httpx.ConnectError(f"no mock at {netloc}", request=request)
        return await transport.handle_async_request(request)


def national_mocks(
    population: Population,
    residence: ResidenceSettings | None = None,
    *,
    motcua: MotcuaSettings | None = None,
    portal: PortalSettings | None = None,
    lltp: LltpSettings | None = None,
) -> Mocks:
    """The mocks the journeys reach, latency off: the six of the birth and death journeys (the
    population database for its feed of deaths, which drives the residence removal), the payment
    platform an ordinary dossier's or a certificate's fee is paid on, the one-stop system's officers, the
    judicial-records system and VNPost. Legs take a working day less than their deadline and none is late
    (polls every 2 simulated hours would otherwise find a dossier finished at its appointment hour after
    it: counted late, as it would be). The portal's citizens pay on the payment platform's page, in
    process."""
    mocks = Mocks(population)
    mocks.apps["population"] = population_app(population, latency=False)
    mocks.apps["civil"] = civil_app(population, latency=False)
    mocks.apps["residence"] = residence_app(population, latency=False, settings=residence)
    insurance = InsuranceSettings(card_days=1, survivor_days=2, late_rate=0.0)
    mocks.apps["insurance"] = insurance_app(population, latency=False, settings=insurance)
    social = SocialSettings(funeral_days=2, late_rate=0.0)
    mocks.apps["social"] = social_app(population, latency=False, settings=social)
    # No confirmation callback (none is routed to this bus): a paid fee is found by the journey's
    # reconciliation query; none stays pending.
    payment = PaymentSettings(latency=Latency(), stay_pending_rate=0.0, seed=1)
    mocks.apps["payment"] = payment_app(payment)
    paying = HostRouting(
        {str(payment.public_url.host) + f":{payment.public_url.port}": mocks.apps["payment"]}
    )
    mocks.apps["portal"] = portal_app(portal, population=population, transport=paying)
    mocks.apps["motcua"] = motcua_app(motcua or MotcuaSettings(gateway_url=None, latency=Latency()))
    # Judicial records for certificates (unless `lltp` says otherwise): issued in 2 working days (3 for
    # several provinces), none refused, none late. VNPost: parcels delivered, none returned.
    records = lltp or LltpSettings(certificate_days=2, several_places_days=3, refusal_rate=0.0, late_rate=0.0)
    mocks.apps["lltp"] = lltp_app(population, settings=records, latency=False)
    vnpost = VnpostSettings(latency=Latency(), seed=7, failed_attempt_rate=0, return_rate=0)
    mocks.apps["vnpost"] = vnpost_app(vnpost)
    return mocks


def adapters_over(mocks: Mocks, store: Store | None = None) -> Mapping[str, Adapter]:
    """The real adapters, each calling its mock in process; the payments and parcels initiated through
    the bus recorded in `store` (the bus's shared store: what one worker initiated, another finds), else
    in each adapter's own."""
    return {
        "population": PopulationAdapter(PopulationConfig(), transport=mocks.transport("population")),
        "civil": CivilAdapter(CivilConfig(), transport=mocks.transport("civil")),
        "portal": PortalAdapter(PortalConfig(), transport=mocks.transport("portal")),
        "residence": ResidenceAdapter(ResidenceConfig(), transport=mocks.transport("residence")),
        "insurance": InsuranceAdapter(InsuranceConfig(), transport=mocks.transport("insurance")),
        "social": SocialAdapter(SocialConfig(), transport=mocks.transport("social")),
        "payment": PaymentAdapter(PaymentConfig(), store=store, transport=mocks.transport("payment")),
        "lltp": LltpAdapter(LltpConfig(), transport=mocks.transport("lltp")),
        "motcua": MotcuaAdapter(MotcuaConfig(), transport=mocks.transport("motcua")),
        "vnpost": VnpostAdapter(VnpostConfig(), store=store, transport=mocks.transport("vnpost")),
    }


@dataclass
class CitizenJourneys:
    """A started bus with the journeys' engine; `start` journeys and wait for them."""

    runtime: JourneyRuntime
    mocks: Mocks
    worker: Worker
    follower: MockClockFollower
    sink: RecordingSink
    clock: CompressedClock

    @property
    def today(self) -> date:
        """The day a dossier is filed: the civil registry's (real) today, which registration dates may
        not pass; simulated time runs on from there."""
        return vietnam_today()

    async def just_after_the_cutoff(self) -> datetime:
        """The simulated now, waited for until just past the next 15:00 cut-off of a working day.

        What happens then counts from the next working day, and so does an agency's reception of what the
        bus asks about it, whenever that comes within the next working day: an agency's same-day
        appointment then falls a working day before a one-day deadline of the journey, however long the
        bus took to ask (the death feed is read every 0.5 wall s: 4 working hours here). Before the
        cut-off, a reception after it moves that appointment to the journey's own due day, and the verdict
        turns on the bus's next poll coming within the day's last hour or two: on the machine's speed."""
        calendar = self.runtime.calendar
        now = calendar.local(self.clock.now())
        day = now.date()
        if not calendar.is_working_day(day) or now.time() >= calendar.cutoff:
            day = calendar.next_working_day(day)
        await self.clock.sleep_until(
            datetime.combine(day, calendar.cutoff, calendar.tz) + timedelta(minutes=1)
        )
        return self.clock.now()

    async def start(self, kind: str, inputs: dict[str, Any], code: str | None = None) -> JourneyRecord:
        """Start a journey as the one-stop system."""
        return await self.runtime.journeys.start(kind, inputs, code or f"H31.{uuid.uuid4().hex[:12]}")

    async def until(
        self, journey_id: str, check: Callable[[JourneyRecord], bool], timeout: float = 20.0
    ) -> JourneyRecord:
        """The journey once `check` holds (AssertionError with its last state after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while True:
            record = await self.runtime.journeys.get(journey_id)
            if check(record):
                return record
            if time.monotonic() > deadline:
                raise AssertionError(f"journey never got there: {record.model_dump_json(indent=1)}")
            await asyncio.sleep(0.05)

    async def until_found(self, dossier_code: str, timeout: float = 20.0) -> JourneyRecord:
        """The journey of `dossier_code` once one was started (the bus starts some on its own)."""
        deadline = time.monotonic() + timeout
        while (record := await self.runtime.journeys.find(dossier_code)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no journey was started for {dossier_code}")
            await asyncio.sleep(0.05)
        return record

    async def finished(self, journey_id: str, timeout: float = 20.0) -> JourneyRecord:
        """The journey once completed, refused or parked."""
        return await self.until(journey_id, lambda r: r.status in ("completed", "refused", "parked"), timeout)


async def start_citizen_journeys(
    transport: Transport,
    worker_transport: Transport,
    store: Store,
    *,
    token: str,
    residence: ResidenceSettings | None = None,
    motcua: MotcuaSettings | None = None,
    portal: PortalSettings | None = None,
    lltp: LltpSettings | None = None,
) -> CitizenJourneys:
    """Mocks, a worker with the real adapters, the journeys' runtime, the clock follower and the portal's
    paying citizens, started."""
    population = Population(seed=2023, size=POPULATION_SIZE)
    mocks = national_mocks(population, residence, motcua=motcua, portal=portal, lltp=lltp)
    catalog = journeys_catalog(token)
    calendar = WorkingCalendar()
    pace = WorkingDayPace(calendar, DAY_SECONDS, 0.05)
    # Simulated time starts now: the civil registry refuses registration dates after its (real) today,
    # and the other mocks' clocks only jump forward.
    clock = CompressedClock(pace, sim_epoch=datetime.now(VIETNAM_TZ), wall_epoch=time.time())
    worker = Worker(catalog, worker_transport, adapters_over(mocks, store), name=f"w-{token}", store=store)
    await worker.start()
    sink = RecordingSink()
    runtime = JourneyRuntime(
        catalog, transport, store, AccessControl.build(catalog, store, AuthSettings()), clock, calendar,
        sinks=[sink], rate_limiter=MemoryRateLimiter(), definitions=journey_definitions(token),
        settings=quick_journey_settings(f"lgsp-test.journeys.{token}", busy_retry_seconds=0.05),
    )  # fmt: skip
    await runtime.start()
    follower = MockClockFollower(clock, [mocks.client(name) for name in CLOCKED], interval=0.05)
    await follower.start()
    mocks.apps["portal"].state.payments.start(0.05)  # its lifespan's task: ASGITransport runs no lifespan
    return CitizenJourneys(runtime, mocks, worker, follower, sink, clock)


async def stop_citizen_journeys(stack: CitizenJourneys) -> None:
    """Everything started, stopped."""
    await stack.mocks.apps["portal"].state.payments.close()
    await stack.follower.stop()
    await stack.runtime.stop()
    await stack.worker.stop()
