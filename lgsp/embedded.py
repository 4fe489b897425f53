"""The embedded default: gateway, workers and mock systems in one process and one event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from ipaddress import ip_network

from fastapi import FastAPI

from bus.adapter_registry import build_adapters
from bus.admin.credential import new_admin_key
from bus.catalog import Catalog
from bus.dashboard import Dashboard, EngineJourneys
from bus.event_recorder import EventRecorder
from bus.gateway.assembly import assemble_gateway
from bus.gateway.settings import GatewaySettings
from bus.monitoring.access import new_monitoring_token
from bus.reliability.breaker_reads import tracked_breaker_reads
from bus.serving import Served, ServerGroup
from bus.settings import BusSettings
from bus.store import make_store
from bus.transport.base import Transport
from bus.worker import Worker
from lgsp.dashboard_wiring import wire_dashboard
from lgsp.journey_runtime import (
    JourneyRuntime,
    MockClockFollower,
    gateway_journeys,
    mock_clock_follower,
    wall_seconds_per_simulated_second,
)
from lgsp.process_group import ProcessGroup
from services.portal.settings import Procedure
from services.registry import MOCKS

log = logging.getLogger(__name__)


LOOPBACK_NETWORKS = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


def embedded_gateway_settings() -> GatewaySettings:
    """The gateway's settings for `lgsp run`: callbacks may reach this machine (where the demo's
    receivers listen) unless `LGSP_GATEWAY_CALLBACK_ALLOWED_NETWORKS` says otherwise."""
    settings = GatewaySettings()
    if "callback_allowed_networks" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"callback_allowed_networks": LOOPBACK_NETWORKS})


@dataclass
class EmbeddedStack:
    """Everything `lgsp run` starts; `start()` returns when all of it listens."""

    catalog: Catalog
    transport: Transport
    host: str = "127.0.0.1"
    port: int = 8000
    mocks: list[str] = field(default_factory=lambda: list(MOCKS))
    latency: bool = True
    workers: int = 1
    worker_name: str = "embedded"
    settings: BusSettings = field(default_factory=BusSettings)
    log_level: str = "warning"
    # Monitoring needs a credential; this run's own token (printed by `lgsp run`) opens it.
    monitoring_token: str = field(default_factory=new_monitoring_token)
    # The admin API (journey resume, fault controls) opens to this run's own key too (printed by `lgsp run`).
    admin_key: str = field(default_factory=new_admin_key)
    reuse_port: bool = False  # a member of `lgsp run --processes N`: the port is shared
    _groups: list[ServerGroup] = field(default_factory=list)  # the mocks', then the gateway's
    _workers: list[Worker] = field(default_factory=list)
    _events: EventRecorder | None = None
    mock_ports: dict[str, int] = field(default_factory=dict)  # by mock name; default: each mock's own
    dashboard: Dashboard | None = None
    dashboard_link: str | None = None
    _journeys: JourneyRuntime | None = None
    _clocks: MockClockFollower | None = None
    # Citizens filing on the portal mock from the start, dossiers per minute by procedure (none: off).
    portal_traffic: dict[Procedure, float] = field(default_factory=dict)
    _portal: FastAPI | None = None

    async def start(self) -> list[Served]:
        """Start the mocks first (adapters call them), then workers, journeys, and the gateway."""
        served = self._mock_apps()
        gateway = assemble_gateway(
            self.catalog,
            self.transport,
            self.settings,
            manage_transport=False,
            gateway_settings=embedded_gateway_settings(),
            monitoring_token=self.monitoring_token,
            admin_key=self.admin_key,
        )
        # Journeys run here with the gateway's access control and sinks, on a compressed clock unless
        # LGSP_CLOCK_MODE says otherwise; the mocks' clocks follow it.
        journeys = gateway_journeys(
            gateway, self.catalog, self.transport, self.settings, engines=1, compressed_by_default=True
        )
        journeys.consume_events = False  # the EventRecorder below consumes the queues and hands them over
        self._journeys = journeys
        gateway_url = f"http://{self.host}:{self.port}"
        self.dashboard, self.dashboard_link = wire_dashboard(
            gateway, self.catalog, gateway_url, served, journeys=EngineJourneys(journeys.journeys)
        )
        await self.transport.connect()
        self._groups.append(ServerGroup(served, log_level=self.log_level))
        await self._groups[-1].start()
        # Workers before journeys: a journey's feed polls a service on start, and before a worker has
        # declared that service's queue the call fails as NoRoute (a red row on every fresh dashboard).
        for index in range(self.workers):
            adapters = build_adapters(
                self.catalog,
                {s.adapter for s in self.catalog.services},
                bus_values=self.settings.bus_values,
                overrides=self.settings.adapter_overrides,
            )
            worker = Worker(
                self.catalog,
                self.transport,
                adapters,
                name=f"{self.worker_name}-{index + 1}",
                store=tracked_breaker_reads(
                    make_store(self.settings.store_url),
                    self.settings.store_url,
                    {s.adapter for s in self.catalog.services},
                ),
            )
            await worker.start()
            self._workers.append(worker)
        await journeys.start()
        self._events = EventRecorder(self.transport, self.catalog.events, listeners=[journeys.deliver_event])
        await self._events.start()
        gateway_served = Served("gateway", gateway, self.host, self.port, reuse_port=self.reuse_port)
        self._groups.append(ServerGroup([gateway_served], log_level=self.log_level))
        await self._groups[-1].start()
        served.append(gateway_served)
        ports = {name: self.mock_ports.get(name, MOCKS[name].port) for name in self.mocks}
        self._clocks = mock_clock_follower(journeys.clock, self.host, ports)
        await self._clocks.start()
        self._portal = next((item.app for item in served if item.name == "portal"), None)
        if self.portal_traffic:
            if self._portal is None:
                raise ValueError("portal traffic needs the portal mock")
            await self._portal.state.traffic.start(self.portal_traffic)
        return served

    async def stop(self) -> None:
        """Stop the portal's citizens filing, the workers (draining in-flight work), then the servers,
        then the transport."""
        if self._portal is not None:
            await self._portal.state.traffic.stop()
        if self._clocks is not None:
            await self._clocks.stop()
        if self._journeys is not None:
            await self._journeys.stop()
        for worker in self._workers:
            await worker.stop()
        if self._events is not None:
            await self._events.stop()
        if self.dashboard is not None:
            await self.dashboard.close()  # open pages' streams would hold the server's shutdown
        for group in reversed(self._groups):
            await group.stop()
        await self.transport.close()

    def _mock_apps(self) -> list[Served]:
        # The mocks' real-time waits (a payment's confirmation) shrink as the journeys' clock runs fast.
        scale = wall_seconds_per_simulated_second(compressed_by_default=True)
        return mock_apps(self.mocks, self.host, self.port, self.latency, self.mock_ports, time_scale=scale)


def mock_apps(
    names: list[str],
    host: str,
    gateway_port: int,
    latency: bool,
    ports: dict[str, int] | None = None,
    *,
    time_scale: float = 1.0,
) -> list[Served]:
    """The named mock systems on their own ports (`ports`, else each mock's default), calling back to
    the gateway at `gateway_port`, their real-time waits × `time_scale`."""
    if not names:
        return []
    from services.citizens import Population

    population = Population()
    gateway_url = f"http://{host}:{gateway_port}"
    served = []
    for name in names:
        spec = MOCKS[name]
        port = (ports or {}).get(name, spec.port)
        own_url = f"http://{host}:{port}"  # the payer page's link follows a moved port (`--mock-port`)
        app = spec.build(
            population=population, latency=latency, gateway_url=gateway_url, time_scale=time_scale,
            own_url=own_url,
        )  # fmt: skip
        served.append(Served(name, app, host, port))
    return served


async def serve_mocks_beside(
    group: ProcessGroup, mocks: list[str], host: str, gateway_port: int, latency: bool
) -> int:
    """`lgsp run --processes N`: the mocks once, here, and the group's members (gateway and workers
    each) until SIGINT/SIGTERM or a member's exit; returns the group's exit status."""
    servers = ServerGroup(mock_apps(mocks, host, gateway_port, latency))
    await servers.start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    try:
        return await group.watch(stopped)
    finally:
        await servers.stop()
