"""A bus for journey tests: a worker serving fake national systems, engines, a manual clock.

Runs on a test backend (tests/backends.py: memory, or RabbitMQ + Redis under the test's own names).
Each engine has a transport of its own, so closing it kills that engine mid-journey as a process's
death would.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import JsonValue

from bus.admin.credential import AdminCredential
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.errors import BusError, ProviderRejected, ProviderUnavailable
from bus.events import BusEvent, TransportEventPublisher, event_queue
from bus.flows import VIETNAM_TZ, Clock, ManualClock, WorkingCalendar, feed_refusals
from bus.flows.journey_engine import JourneyEngine
from bus.flows.journey_model import JourneyDefinition, load_journey
from bus.flows.journey_records import JourneyRecord
from bus.flows.journey_settings import JourneySettings
from bus.flows.journeys import InputCheck, Journeys
from bus.gateway.access import AccessControl
from bus.gateway.journeys_router import journeys_router
from bus.gateway.ratelimit import MemoryRateLimiter
from bus.gateway.routing import error_response
from bus.gateway.service_caller import BusServiceCaller
from bus.store.base import Store
from bus.transaction import TransactionRecord, TransactionSink
from bus.transport.base import Transport
from bus.worker import Worker
from tests.backends import Backend, open_backend, quick_journey_settings

CLIENT = "VN/GOV/HPG/MOTCUA"
STRANGER = "VN/GOV/HPG/STRANGER"
# Monday 2 March 2026, 09:00 in Hanoi: no holiday within weeks.
START = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM_TZ)
EVENT_NAMES = ("paid", "failed", "supplemented")  # the event types a journey test may publish


class FakeSystems:
    """The national systems of these tests, behind one adapter: `act` takes effect (counted per
    idempotency key), `undo` records a compensation, `status` answers a scripted status, `reject`
    refuses (422), `flaky` fails (503) as often as `failures` says, then acts. A payload with
    `"block": true` holds `act` until `gate` is set."""

    def __init__(self) -> None:
        self.effects: Counter[str] = Counter()
        self.undone: list[str] = []
        self.order: list[str] = []
        self.statuses: dict[str, list[str]] = {}
        self.failures: Counter[str] = Counter()  # idempotency key → `flaky` calls still to fail
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.running = 0
        self.most_at_once = 0

    async def handle(self, request: Envelope) -> JsonValue:
        """Serve one request as the scripted system would."""
        payload: dict[str, Any] = request.payload if isinstance(request.payload, dict) else {}
        key = request.idempotency_key or ""
        if request.path == "flaky" and self.failures[key] > 0:
            self.failures[key] -= 1
            raise ProviderUnavailable("the system is down for a moment")
        if request.path == "reject":
            raise ProviderRejected(f"ineligible: {payload.get('why', 'no reason')}")
        if request.path == "status":
            script = self.statuses[str(payload["reference"])]
            return {"status": script.pop(0) if len(script) > 1 else script[0], "issue": request.issue}
        if request.path == "undo":
            self.undone.append(str(payload["step"]))
            self.effects[key] += 1
            return {"undone": payload["step"]}
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if payload.get("block"):
                self.entered.set()
                await self.gate.wait()
            await asyncio.sleep(float(payload.get("work_seconds", 0.0)))
        finally:
            self.running -= 1
        self.effects[key] += 1
        self.order.append(str(payload.get("step", key)))
        return {"reference": f"ref-{key}", "status": payload.get("answer", "ok"), "echo": payload}


class RecordingSink:
    """Keeps every transaction record (stands in for the transaction log and monitoring)."""

    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        """Keep it."""
        self.records.append(record)


def catalog_for(subsystem: str) -> Catalog:
    """One journey client, a stranger, and four systems of a unique subsystem (all the fake adapter)."""
    services = [
        {"id": f"VN/GOV/HPG/{subsystem}/{name}/v1", "adapter": "fake", "timeout": 1.0, "allow": [CLIENT]}
        for name in ("Registry", "Residence", "Insurance", "Payment")
    ]
    services.append(
        {"id": f"VN/GOV/HPG/{subsystem}/Secret/v1", "adapter": "fake", "timeout": 1.0, "allow": [STRANGER]}
    )
    services.append(
        {"id": f"VN/GOV/HPG/{subsystem}/Quota/v1", "adapter": "fake", "allow": [CLIENT],
         "rate_limit_per_second": 5, "rate_limit_burst": 1}
    )  # fmt: skip
    return Catalog.model_validate(
        {
            "adapters": {"fake": {}},
            "clients": [
                {"id": CLIENT, "api_key_sha256": [hash_api_key("journey-key")]},
                {"id": STRANGER, "api_key_sha256": [hash_api_key("stranger-key")]},
            ],
            "services": services,
        }
    )


@dataclass
class JourneyStack:
    """Everything a journey test drives."""

    backend: Backend
    settings: JourneySettings = field(init=False)
    systems: FakeSystems = field(default_factory=FakeSystems)
    sink: RecordingSink = field(default_factory=RecordingSink)
    sinks: list[TransactionSink] = field(default_factory=list)  # more, e.g. a transaction log
    clock: Clock = field(default_factory=lambda: ManualClock(START))
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    definitions: list[JourneyDefinition] = field(default_factory=list)
    check: InputCheck | None = None
    engines: list[JourneyEngine] = field(default_factory=list)
    worker: Worker | None = None
    _journeys: Journeys | None = None
    _events: TransportEventPublisher | None = None

    def __post_init__(self) -> None:
        self.settings = quick_journey_settings(f"lgsp-test.journeys.{self.backend.token}")

    @property
    def store(self) -> Store:
        """The backend's store."""
        return self.backend.store

    @property
    def subsystem(self) -> str:
        """This test's subsystem, in every service id (no other test shares its queues)."""
        return f"JT{self.backend.token}"

    @property
    def catalog(self) -> Catalog:
        """The catalog of this stack's systems."""
        return catalog_for(self.subsystem)

    def service(self, name: str) -> str:
        """The id of system `name` (Registry, Residence, Insurance, Payment, Secret, Quota: 5 calls/s)."""
        return f"VN/GOV/HPG/{self.subsystem}/{name}/v1"

    def event_type(self, name: str) -> str:
        """A unique event type for this test (no other consumer shares its queue)."""
        return f"jt{self.backend.token}.{name}"

    def define(self, data: dict[str, Any]) -> JourneyDefinition:
        """Add a journey definition (the client defaults to the journey client)."""
        definition = load_journey({"client": CLIENT, **data})
        self.definitions.append(definition)
        return definition

    def adapters(self) -> dict[str, Any]:
        """The worker's adapters by catalog name: the fake systems."""
        return {"fake": self.systems}

    async def start(self, engines: int = 1) -> Journeys:
        """Start the worker on `adapters()`, `engines` engines; the Journeys API to start journeys with."""
        worker_transport: Transport = await self.backend.transport()
        self.worker = Worker(self.catalog, worker_transport, self.adapters(), name="w", store=self.store)
        await self.worker.start()
        for _ in range(engines):
            await self.add_engine()
        api_transport: Transport = await self.backend.transport()
        self._journeys = Journeys(
            self.definitions, store=self.store, transport=api_transport, clock=self.clock,
            calendar=self.calendar, settings=self.settings, check=self.check,
        )  # fmt: skip
        self._events = TransportEventPublisher(api_transport)
        return self._journeys

    async def add_engine(self, *, consume_events: bool = True) -> JourneyEngine:
        """Start one more engine on a transport of its own."""
        transport: Transport = await self.backend.transport()
        access = AccessControl.build(self.catalog, self.store, AuthSettings())
        caller = BusServiceCaller(
            self.catalog, transport, access, [self.sink, *self.sinks], rate_limiter=MemoryRateLimiter()
        )
        engine = JourneyEngine(
            self.definitions, store=self.store, transport=transport, caller=caller, clock=self.clock,
            calendar=self.calendar, settings=self.settings, name=f"engine-{len(self.engines)}",
            consume_events=consume_events,
        )  # fmt: skip
        await engine.start()
        self.engines.append(engine)
        return engine

    async def publish(self, event_name: str, data: JsonValue) -> None:
        """Publish a bus event of this test's type `event_name`."""
        assert self._events is not None
        await self._events.publish(BusEvent(type=self.event_type(event_name), source="test", data=data))

    async def until(
        self, journey_id: str, check: Callable[[JourneyRecord], bool], timeout: float = 10.0
    ) -> JourneyRecord:
        """Poll the journey until `check` holds (AssertionError with its last state after `timeout` s)."""
        assert self._journeys is not None
        deadline = time.monotonic() + timeout
        while True:
            record = await self._journeys.get(journey_id)
            if check(record):
                return record
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"journey never got there; last state: {record.model_dump_json(indent=1)}"
                )
            await asyncio.sleep(0.02)

    def queues(self) -> list[str]:
        """Every queue the stack declares: the journeys', its services', its event types'."""
        events = [event_queue(self.event_type(name)) for name in EVENT_NAMES]
        return [self.settings.queue, *(s.id.queue_name for s in self.catalog.services), *events]

    async def stop(self) -> None:
        """Stop the engines and the worker; name the queues to the backend for removal."""
        for engine in self.engines:
            await engine.stop(drain_seconds=0.5)
        if self.worker is not None:
            await self.worker.stop()
        self.backend.queues.extend(self.queues())


async def journeys_http(stack: JourneyStack, admin: AdminCredential | None = None) -> httpx.AsyncClient:
    """The gateway's `/journeys` routes over the stack's journeys (started now), as an HTTP client;
    operators' actions with `admin`."""
    journeys = await stack.start()
    app = FastAPI()
    access = AccessControl.build(stack.catalog, stack.store, AuthSettings())
    refusals = feed_refusals(stack.store, stack.settings)
    app.include_router(journeys_router(journeys, access, refusals, admin=admin))

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, None)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


StackT = TypeVar("StackT", bound=JourneyStack)


@asynccontextmanager
async def stack_on(request: pytest.FixtureRequest, kind: type[StackT]) -> AsyncIterator[StackT]:
    """A `kind` stack on the backend `request.param` names (see tests/backends.py); stopped, and what it
    made removed, when the block ends."""
    async with open_backend(request) as backend:
        stack = kind(backend)
        try:
            yield stack
        finally:
            await stack.stop()
