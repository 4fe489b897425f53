"""The journeys of the province run by a bus process: the `Journeys` API and its `/journeys` routes,
`JourneyEngine`s whose calls go through the bus like any client's (rights, quotas, transaction log and
monitoring), the simulated clock, and the mocks' clocks kept in step with it.

`lgsp run` compresses time by default (a working day in `LGSP_CLOCK_WORKING_DAY_SECONDS`, 5 s) so a
3-working-day birth completes in well under a minute; `lgsp gateway` and `lgsp worker` use the
`LGSP_CLOCK_*` settings as given (give them the same epochs so they agree on simulated time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx
from fastapi import APIRouter, FastAPI

from bus.admin.credential import AdminCredential
from bus.auth.settings import AuthSettings
from bus.catalog import Catalog
from bus.envelope import new_id
from bus.events import BusEvent
from bus.flows import (
    CalendarSettings,
    Clock,
    ClockSettings,
    FeedFollower,
    JourneyDefinition,
    JourneyEngine,
    Journeys,
    JourneySettings,
    WorkingCalendar,
    build_calendar,
    build_clock,
    feed_refusals,
)
from bus.gateway.access import AccessControl
from bus.gateway.journeys_router import journeys_router
from bus.gateway.ratelimit import RateLimiter, make_rate_limiter
from bus.gateway.record_sink import record_sinks
from bus.gateway.service_caller import BusServiceCaller
from bus.monitoring import make_monitoring_sink
from bus.settings import BusSettings
from bus.store import make_store
from bus.store.base import Store
from bus.transaction import TransactionSink
from bus.transport.base import Transport
from bus.txlog import make_transaction_log
from bus.txlog.settings import TxLogSettings
from bus.txlog.sink import TransactionLogSink
from lgsp.journeys import load_definitions
from lgsp.journeys.input_checks import check_inputs

log = logging.getLogger(__name__)
# The mocks with a simulated clock (`/_control/clock`): they follow the bus's.
CLOCKED_MOCKS = ("population", "residence", "insurance", "social", "lltp", "motcua", "vnpost", "portal")
STOP_SECONDS = 5.0  # how long stopping the mock clock follower waits for a round in progress


def _clock_settings(*, compressed_by_default: bool) -> ClockSettings:
    clock_settings = ClockSettings()
    if compressed_by_default and "mode" not in clock_settings.model_fields_set:
        clock_settings = clock_settings.model_copy(update={"mode": "compressed"})
    return clock_settings


def journey_time(*, compressed_by_default: bool) -> tuple[Clock, WorkingCalendar]:
    """The calendar and clock the `LGSP_CALENDAR_*` and `LGSP_CLOCK_*` settings describe; with
    `compressed_by_default`, a clock mode left unset means compressed (the embedded demo)."""
    calendar = build_calendar(CalendarSettings())
    return build_clock(_clock_settings(compressed_by_default=compressed_by_default), calendar), calendar


def wall_seconds_per_simulated_second(*, compressed_by_default: bool) -> float:
    """How many wall seconds a simulated second of office time takes on the clock `journey_time` builds
    (1.0 on the real clock)."""
    settings = _clock_settings(compressed_by_default=compressed_by_default)
    if settings.mode == "real":
        return 1.0
    if settings.mode == "scaled":
        return 1.0 / settings.factor
    day = build_calendar(CalendarSettings()).working_day_length.total_seconds()
    return settings.working_day_seconds / day


class MockClockFollower:
    """Keeps mocks' simulated clocks at the bus's simulated time: every `interval` wall seconds each is
    asked to jump to the bus clock's now (`POST /_control/clock/jump`). A mock ahead of the bus (409) or
    not answering is left alone until the next round."""

    def __init__(self, clock: Clock, clients: Sequence[httpx.AsyncClient], *, interval: float = 0.2) -> None:
        self.clock = clock
        self.clients = list(clients)
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def step(self) -> None:
        """One round: every mock jumps to now."""
        body = {"now": self.clock.now().isoformat()}
        for client in self.clients:
            with contextlib.suppress(httpx.HTTPError):
                await client.post("/_control/clock/jump", json=body)

    async def _follow(self) -> None:
        while not self._stopping:
            await self.step()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        """Jump the mocks now, then keep following."""
        self._stopping = False
        await self.step()
        self._task = asyncio.create_task(self._follow(), name="mock-clock-follower")

    async def stop(self) -> None:
        """Stop following and close the clients. A cancellation lost inside a round (a library between
        here and a mock may swallow one) ends the loop after that round; a round still running
        `STOP_SECONDS` later is logged and left, not waited for forever."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            _, running = await asyncio.wait({task}, timeout=STOP_SECONDS)
            if running:
                log.error(
                    "the mock clock follower did not stop within %.0f s; left to end on its own", STOP_SECONDS
                )
        for client in self.clients:
            await client.aclose()


def feeds_the_catalog_serves(
    definitions: Sequence[JourneyDefinition], catalog: Catalog
) -> list[JourneyDefinition]:
    """The definitions whose feed the catalog can be read through (its client and service are listed);
    each other feed is logged once as not followed: a catalog without the province's systems (an
    outside adapter's, say) would otherwise have its poll refused, and a warning logged, every round."""
    served = []
    for definition in definitions:
        if definition.feed is None:
            continue
        service = definition.feed.call.service
        lacking = [f"client {definition.client}"] if catalog.client(definition.client) is None else []
        lacking += [f"service {service}"] if catalog.service(service) is None else []
        if lacking:
            log.info(
                "feed of %s not followed: the catalog has no %s", definition.kind, " and no ".join(lacking)
            )
        else:
            served.append(definition)
    return served


@dataclass
class JourneyRuntime:
    """Journeys and their engines on one bus process. Start it before serving its router (engines
    declare the journey queue), stop it before closing the transport."""

    catalog: Catalog
    transport: Transport
    store: Store
    access: AccessControl
    clock: Clock
    calendar: WorkingCalendar
    sinks: Sequence[TransactionSink] = ()
    rate_limiter: RateLimiter | None = None
    definitions: list[JourneyDefinition] = field(default_factory=load_definitions)
    settings: JourneySettings = field(default_factory=JourneySettings)
    engines: int = 1
    name: str = "journeys"
    # False when the process's EventRecorder consumes the event queues and hands each event to
    # `deliver_event`: a queue gives each event to one consumer, so both consuming would split them.
    consume_events: bool = True
    _engines: list[JourneyEngine] = field(default_factory=list)
    _feeds: FeedFollower | None = None

    def __post_init__(self) -> None:
        self.journeys = Journeys(
            self.definitions, store=self.store, transport=self.transport, clock=self.clock,
            calendar=self.calendar, settings=self.settings, check=check_inputs,
        )  # fmt: skip

    @property
    def feeds(self) -> FeedFollower | None:
        """What follows the feeds that start journeys (None until started, or without engines)."""
        return self._feeds

    def router(self, admin: AdminCredential | None = None) -> APIRouter:
        """`/journeys`, authenticated and authorised as `/r1` is; operators' actions with `admin`."""
        return journeys_router(
            self.journeys, self.access, feed_refusals(self.store, self.settings), admin=admin
        )

    async def start(self) -> None:
        """Start the engines."""
        caller = BusServiceCaller(
            self.catalog, self.transport, self.access, self.sinks, rate_limiter=self.rate_limiter
        )
        for index in range(self.engines):
            engine = JourneyEngine(
                self.definitions, store=self.store, transport=self.transport, caller=caller,
                clock=self.clock, calendar=self.calendar, settings=self.settings,
                name=f"{self.name}-{index + 1}", consume_events=self.consume_events,
            )  # fmt: skip
            await engine.start()
            self._engines.append(engine)
        if self.engines:  # the processes that run journeys follow the feeds that start them
            self._feeds = FeedFollower(
                feeds_the_catalog_serves(self.definitions, self.catalog), journeys=self.journeys,
                caller=caller, store=self.store,
                settings=self.settings, holder=f"{self.name}-feeds-{new_id()}",
            )  # fmt: skip
            await self._feeds.start()
        log.info("%d journey engine(s) running %s", self.engines, [d.kind for d in self.definitions])

    async def deliver_event(self, event: BusEvent) -> None:
        """Hand a bus event another consumer took from its queue to the journeys waiting for it (their
        waits live in the store: one engine's hand-off reaches them all)."""
        for engine in self._engines[:1]:
            await engine.events.deliver(event)

    async def stop(self) -> None:
        """Stop following feeds, then the engines (a tick in progress is finished or left for another
        engine)."""
        if self._feeds is not None:
            await self._feeds.stop()
            self._feeds = None
        for engine in self._engines:
            await engine.stop()
        self._engines.clear()


def gateway_journeys(
    app: FastAPI, catalog: Catalog, transport: Transport, settings: BusSettings, *, engines: int,
    compressed_by_default: bool = False,
) -> JourneyRuntime:  # fmt: skip
    """A runtime beside an assembled gateway, its calls made with the gateway's own access control,
    transaction sinks (log, monitoring) and quotas; `/journeys` mounted on `app`. With `engines=0` the
    gateway only starts and reads journeys (`lgsp worker`s run them)."""
    route = app.state.service_router
    clock, calendar = journey_time(compressed_by_default=compressed_by_default)
    runtime = JourneyRuntime(
        catalog, transport, make_store(settings.store_url), route.access, clock, calendar,
        sinks=route.sinks, rate_limiter=route.rate_limiter, engines=engines,
        name=f"{settings.worker_name}-journeys",
    )  # fmt: skip
    app.include_router(runtime.router(app.state.admin_credential))
    return runtime


def worker_journeys(catalog: Catalog, transport: Transport, settings: BusSettings) -> JourneyRuntime:
    """The engines of an `lgsp worker`: their calls recorded in the shared transaction log and
    monitoring (Redis), checked against the shared rights and quotas."""
    store = make_store(settings.store_url)
    sinks = record_sinks(
        TransactionLogSink(make_transaction_log(TxLogSettings(redis_url=settings.redis_url))),
        make_monitoring_sink(settings.redis_url, catalog=catalog),
    )
    clock, calendar = journey_time(compressed_by_default=False)
    return JourneyRuntime(
        catalog, transport, store, AccessControl.build(catalog, store, AuthSettings()), clock, calendar,
        sinks=sinks, rate_limiter=make_rate_limiter(settings.redis_url),
        name=f"{settings.worker_name}-journeys",
    )  # fmt: skip


def mock_clock_follower(clock: Clock, host: str, ports: Mapping[str, int]) -> MockClockFollower:
    """A follower of the started mocks (name → port) that keep a simulated clock."""
    followed = [port for name, port in ports.items() if name in CLOCKED_MOCKS]
    clients = [httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=2.0) for port in followed]
    return MockClockFollower(clock, clients)
