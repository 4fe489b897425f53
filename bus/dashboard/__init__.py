"""The live web dashboard at `/ui`: topology, journeys, faults, load and transactions of a deployment.

Generic bus code: it reads the gateway's own monitoring, log, breakers and queues, and drives the
mocks and the load generator only through what the composition root hands in (control URLs, command
lines), so it names no national system.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI

from bus.dashboard.access import DashboardAccess
from bus.dashboard.assets import StaticAssets
from bus.dashboard.engine_journeys import EngineJourneys
from bus.dashboard.fault_control import FaultControl, Scenario
from bus.dashboard.feed import SnapshotFeed
from bus.dashboard.journeys import JourneyReader
from bus.dashboard.load_control import LoadControl, LoadProfile
from bus.dashboard.offline_docs import serve_offline_docs
from bus.dashboard.queues import queue_depths
from bus.dashboard.router import Dashboard, dashboard_router
from bus.dashboard.settings import DashboardSettings

__all__ = [
    "Dashboard",
    "DashboardSettings",
    "EngineJourneys",
    "LoadProfile",
    "Scenario",
    "install_dashboard",
    "serve_offline_docs",
]


def install_dashboard(
    app: FastAPI,
    *,
    fault_targets: Mapping[str, str] | None = None,
    normal_faults: Mapping[str, dict[str, Any]] | None = None,
    scenarios: Sequence[Scenario] = (),
    load_profiles: Sequence[LoadProfile] = (),
    launch_token: str | None = None,
    journeys: JourneyReader | None = None,
    settings: DashboardSettings | None = None,
) -> Dashboard:
    """Serve `/ui` on a gateway built by `assemble_gateway` (it reads the state that app keeps on
    app.state); faults and load controls only when given targets and profiles; `normal_faults` are
    the mocks' default profiles, departures from which the page shows as faults. Call `close()` on the
    answer before stopping the server, so open pages do not hold the shutdown."""
    chosen = settings if settings is not None else DashboardSettings()
    state = app.state
    catalog = state.service_router.catalog
    faults = None
    if fault_targets:
        faults = FaultControl(fault_targets, {s.name: s for s in scenarios}, normal=normal_faults)
    load = LoadControl(load_profiles) if load_profiles else None
    dashboard = Dashboard(
        access=DashboardAccess(
            state.monitoring_credential,
            state.admin_credential,
            state.store,
            session_seconds=chosen.session_seconds,
            launch_token=launch_token,
        ),
        feed=SnapshotFeed(
            catalog,
            state.monitoring,
            state.store,
            queue_depths(state.service_router.transport),
            chosen,
            faults=faults,
            load=load,
        ),
        monitoring=state.monitoring,
        log=state.transaction_log,
        faults=faults,
        load=load,
        journeys=journeys,
        assets=StaticAssets(),
    )
    app.include_router(dashboard_router(dashboard))
    return dashboard
