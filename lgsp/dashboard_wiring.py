"""The dashboard as `lgsp run` serves it: the mocks' fault controls, the named scenarios, the load
profiles (the capacity tool's shapes, run against this gateway) and the one-time launch link."""

from __future__ import annotations

import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bus.catalog import Catalog
from bus.dashboard import Dashboard, LoadProfile, Scenario, install_dashboard
from bus.dashboard.journeys import JourneyReader
from bus.serving import Served
from services.faults import FaultInjector

# Named demo scenarios: (name, title, mock, profile changes, seconds until cleared; None = by hand).
SCENARIOS = (
    Scenario(
        name="population-down",
        title="Population database down for 30 s",
        target="population",
        changes={"outage": True},
        seconds=30,
    ),
    Scenario(
        name="payment-confirmations-lost",
        title="Payment confirmations lost",
        target="payment",
        changes={"lost_callback_rate": 1.0},
    ),
    Scenario(
        name="vnpost-slow",
        title="VNPost slow (3 s per call)",
        target="vnpost",
        changes={"latency": {"kind": "fixed", "ms": 3000.0}},
    ),
)
# (name, title, capacity shape, base rate tx/s, stage/day/spike seconds): small enough for a laptop.
PROFILES = (
    ("steady", "Steady 20 tx/s for 10 min", "steady", 20.0, 600.0),
    ("workday", "Three working days in 3 min (base 10 tx/s)", "workday", 10.0, 60.0),
    ("spike", "Spike: 5 → 50 → 5 tx/s", "spike", 5.0, 30.0),
)


def mock_defaults(app: FastAPI) -> dict[str, Any]:
    """A mock's own default fault profile, as its control API shows profiles."""
    injector: FaultInjector = app.state.faults
    return injector.defaults.model_dump(mode="json")


def load_profiles(gateway_url: str, out: Path, portal_url: str | None = None) -> list[LoadProfile]:
    """The load profiles: `lgsp capacity` against `gateway_url` with each shape, reports under `out`;
    `portal_url`: the running portal mock, where the load's dossiers are filed before being synchronised
    (the one-stop system reports their progress there)."""
    portal = ["--portal-url", portal_url] if portal_url else []
    return [
        LoadProfile(
            name=name,
            title=title,
            argv=[
                sys.executable,
                "-m",
                "lgsp",
                "capacity",
                "--host",
                gateway_url,
                "--shape",
                shape,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
                "--require",
                "0",
                "--out",
                str(out / name),
                *portal,
            ],
        )
        for name, title, shape, rate, seconds in PROFILES
    ]


def wire_dashboard(
    gateway: FastAPI,
    catalog: Catalog,
    gateway_url: str,
    mocks: Sequence[Served],
    journeys: JourneyReader | None = None,
) -> tuple[Dashboard, str]:
    """Serve `/ui` on `gateway`; answers the dashboard and its one-time launch link. Fault controls
    reach the running mocks that are also catalog adapters (a scenario needs its mock running);
    `journeys` feeds the journeys view."""
    adapters = {service.adapter for service in catalog.services}
    chosen = [mock for mock in mocks if mock.name in adapters]
    targets = {mock.name: mock.url for mock in chosen}
    normal = {mock.name: mock_defaults(mock.app) for mock in chosen}
    token = secrets.token_urlsafe(24)
    portal = next((mock.url for mock in mocks if mock.name == "portal"), None)
    dashboard = install_dashboard(
        gateway,
        fault_targets=targets,
        normal_faults=normal,
        scenarios=[s for s in SCENARIOS if s.target in targets],
        load_profiles=load_profiles(gateway_url, Path(tempfile.gettempdir()) / "lgsp-dashboard-load", portal),
        launch_token=token,
        journeys=journeys,
    )
    return dashboard, f"{gateway_url}/ui/#launch={token}"
