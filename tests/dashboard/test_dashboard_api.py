"""/ui's data routes in process: who may read and drive them, what the topology and log views answer."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from bus.catalog import Catalog, load_catalog
from bus.dashboard import LoadProfile, install_dashboard
from bus.dashboard.journeys import JourneySummary, timeliness
from bus.dashboard.topology import build_topology
from bus.dashboard.transactions import chain_checks
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transaction import TransactionRecord
from bus.transport import MemoryTransport
from lgsp.default_catalog import DEFAULT_CATALOG

ADMIN_KEY = "unit-admin-key"
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key"}
ADMIN = {"X-Admin-Key": ADMIN_KEY, "X-Dashboard": "1"}
MONITORING_TOKEN = "unit-monitoring-token"
MONITOR = {"Authorization": f"Bearer {MONITORING_TOKEN}"}
ECHO = "VN/GOV/HPG/LGSP/Echo/v1"


def record(
    transaction_id: str, *, ok: bool = True, issue: str | None = None, client: str = "VN/GOV/HPG/STP"
) -> TransactionRecord:
    now = datetime.now(UTC)
    return TransactionRecord(
        transaction_id=transaction_id,
        client=client,
        service=ECHO,
        issue=issue,
        request_in=now - timedelta(milliseconds=5),
        response_out=now,
        status=200 if ok else 503,
        succeeded=ok,
        fault_type=None if ok else "Server.Provider.Unavailable",
        request_sha256="0" * 64,
        response_sha256="0" * 64,
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The packaged catalog, parsed once for the module (it is immutable)."""
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
async def gateway(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, str]]:
    """The assembled gateway with the dashboard, a launch token, and one sleeping load profile."""
    monkeypatch.setenv(
        "LGSP_AUTH_ADMIN_KEY_SHA256", json.dumps([hashlib.sha256(ADMIN_KEY.encode()).hexdigest()])
    )
    monkeypatch.setenv(
        "LGSP_AUTH_MONITORING_TOKEN_SHA256",
        json.dumps([hashlib.sha256(MONITORING_TOKEN.encode()).hexdigest()]),
    )
    app = assemble_gateway(catalog, MemoryTransport(), BusSettings(redis_url=None))
    sleeper = [sys.executable, "-c", "import time; print('driving', flush=True); time.sleep(60)"]
    dashboard = install_dashboard(
        app, load_profiles=[LoadProfile(name="steady", title="t", argv=sleeper)], launch_token="launch-me"
    )
    app.state.dashboard = dashboard
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        yield app, client, "launch-me"
    await dashboard.close()


async def test_data_routes_refuse_a_caller_without_a_credential(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, _ = gateway
    for path in ("/ui/api/snapshot", "/ui/api/topology", "/ui/api/transactions", "/ui/api/stream"):
        assert (await client.get(path)).status_code == 401, path
    assert (await client.get("/ui/")).status_code == 200  # the page itself holds no data


async def test_a_monitoring_token_reads_but_cannot_drive_and_a_client_key_reads_nothing(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, _ = gateway
    assert (await client.get("/ui/api/snapshot", headers=MONITOR)).status_code == 200
    refused = await client.post("/ui/api/load/steady", headers={**MONITOR, "X-Dashboard": "1"})
    assert refused.status_code == 403
    assert (await client.get("/ui/api/load", headers=MONITOR)).json()["running"] is False
    # The views list every agency's calls: an agency's own API key is no monitoring credential.
    assert (await client.get("/ui/api/snapshot", headers=STP)).status_code == 401
    assert (
        await client.get("/ui/api/snapshot", headers={"Authorization": "Bearer guess"})
    ).status_code == 401
    signed = await client.post("/ui/session", json={"monitoring_token": MONITORING_TOKEN})
    assert signed.json() == {"role": "viewer", "who": "monitoring"}


async def test_the_launch_token_signs_in_once_as_operator_and_changes_need_the_dashboard_header(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, token = gateway
    signed = await client.post("/ui/session", json={"launch_token": token})
    assert signed.status_code == 200 and signed.json()["role"] == "admin"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
    assert (await client.post("/ui/session", json={"launch_token": token})).status_code == 401
    assert (await client.get("/ui/api/snapshot")).status_code == 200  # the cookie now
    assert (await client.post("/ui/api/load/stop")).status_code == 403  # no X-Dashboard: a forged form
    assert (await client.post("/ui/api/load/stop", headers={"X-Dashboard": "1"})).status_code == 200
    await client.delete("/ui/session")
    assert (await client.get("/ui/api/snapshot")).status_code == 401


async def test_a_wrong_admin_key_is_refused(gateway: tuple[FastAPI, httpx.AsyncClient, str]) -> None:
    _, client, _ = gateway
    assert (await client.post("/ui/session", json={"admin_key": "guess"})).status_code == 401
    assert (await client.get("/ui/api/snapshot", headers={"X-Admin-Key": "guess"})).status_code == 401


async def test_the_snapshot_measures_recorded_transactions_and_the_list_filters_them(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    app, client, _ = gateway
    for index in range(4):
        await app.state.monitoring.record(record(f"tx-{index}", ok=index != 3, issue=f"HS-{index}"))
    snapshot = (await client.get("/ui/api/snapshot", headers=ADMIN)).json()
    edge = snapshot["edges"]["lgsp>provider:echo"]
    assert edge["calls"] == 4 and edge["error_share"] == 0.25
    assert snapshot["nodes"]["provider:echo"]["state"] == "ok"
    assert snapshot["queues"][ECHO] == [None, None]  # no worker declared its queue: unknown, as on RabbitMQ
    assert snapshot["totals"]["per_year"] == pytest.approx(snapshot["totals"]["rate"] * 365 * 86_400)
    failed = (await client.get("/ui/api/transactions?status=failed", headers=ADMIN)).json()["transactions"]
    assert [row["id"] for row in failed] == ["tx-3"]
    dossier = (await client.get("/ui/api/transactions?dossier=HS-1", headers=ADMIN)).json()["transactions"]
    assert [row["id"] for row in dossier] == ["tx-1"]


async def test_a_log_entry_opens_with_its_chain_checks_and_a_tampered_one_is_named_broken(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    app, client, _ = gateway
    entries = [await app.state.transaction_log.append(record(f"log-{i}")) for i in range(3)]
    middle = entries[1]
    opened = await client.get(
        f"/ui/api/transactions/{middle.transaction_id}",
        params={"at": middle.request_in.isoformat()},
        headers=ADMIN,
    )
    assert opened.status_code == 200
    assert [(c["name"], c["ok"]) for c in opened.json()["checks"]] == [
        ("content", True),
        ("previous", True),
        ("next", True),
    ]
    altered = middle.model_copy(update={"status": 500})
    checks = chain_checks(altered, {e.sequence: e for e in entries})
    assert checks[0].ok is False
    missing = await client.get(
        "/ui/api/transactions/nope", params={"at": middle.request_in.isoformat()}, headers=ADMIN
    )
    assert missing.status_code == 404


async def test_two_clients_entries_under_one_caller_id_each_open_as_that_clients_own(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    """Callers' X-Road-Ids are their own, so the log may hold one id twice: the row's client picks."""
    app, client, _ = gateway
    clients = ("VN/GOV/HPG/STP", "VN/GOV/HPG/MOTCUA")
    entries = [await app.state.transaction_log.append(record("same-id", client=c)) for c in clients]
    for entry in reversed(entries):
        opened = await client.get(
            "/ui/api/transactions/same-id",
            params={"at": entry.request_in.isoformat(), "client": entry.client},
            headers=ADMIN,
        )
        assert opened.status_code == 200
        assert (opened.json()["entry"]["client"], opened.json()["entry"]["sequence"]) == (
            entry.client,
            entry.sequence,
        )


async def test_a_load_profile_runs_as_a_subprocess_and_stop_ends_it(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, _ = gateway
    started = (await client.post("/ui/api/load/steady", headers=ADMIN)).json()
    assert started["running"] and started["profile"] == "steady"
    assert (await client.post("/ui/api/load/steady", headers=ADMIN)).status_code == 400  # one at a time
    assert (await client.post("/ui/api/load/nonsense", headers=ADMIN)).status_code == 400
    async with asyncio.timeout(10):
        while "driving" not in (await client.get("/ui/api/load", headers=ADMIN)).json()["output"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # polling the route a page polls: there is no event to await
    stopped = (await client.post("/ui/api/load/stop", headers=ADMIN)).json()
    assert stopped["running"] is False and stopped["exit_code"] is not None


async def test_the_stream_pushes_snapshots_as_server_sent_events(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    app, _, _ = gateway
    frames = []
    async with asyncio.timeout(5):
        async for frame in app.state.dashboard.feed.frames():
            frames.append(frame)
            if len(frames) == 2:
                break
    for frame in frames:
        text = frame.decode()
        assert text.startswith("retry: 2000\nevent: snapshot\ndata: {") and text.endswith("\n\n")


async def test_journeys_are_reported_unavailable_without_an_engine(
    gateway: tuple[FastAPI, httpx.AsyncClient, str],
) -> None:
    _, client, _ = gateway
    answer = (await client.get("/ui/api/journeys", headers=ADMIN)).json()
    assert answer == {"available": False, "journeys": [], "timeliness": [], "time_zone": None}


def test_on_time_rate_per_procedure_counts_finished_journeys_only() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    journeys = [
        JourneySummary(
            id="1", procedure="birth", status="completed", started_at=start, finished_at=start, on_time=True
        ),
        JourneySummary(
            id="2", procedure="birth", status="completed", started_at=start, finished_at=start, on_time=False
        ),
        JourneySummary(id="3", procedure="birth", status="running", started_at=start),
    ]
    [birth] = timeliness(journeys)
    assert (birth.finished, birth.on_time, birth.on_time_rate) == (2, 1, 0.5)


def test_a_new_adapter_in_the_catalog_is_a_new_node_without_code_changes(catalog: Catalog) -> None:
    extra = catalog.services[1].model_copy(update={"adapter": "residence"})
    grown = catalog.model_copy(update={"services": (*catalog.services, extra)})
    nodes = {node.id for node in build_topology(grown, ["residence"]).nodes}
    assert "provider:residence" in nodes and "provider:population" in nodes
    assert {f"caller:{c.id}" for c in catalog.clients} <= nodes


async def test_docs_are_served_with_local_assets(gateway: tuple[FastAPI, httpx.AsyncClient, str]) -> None:
    _, client, _ = gateway
    page = (await client.get("/docs")).text
    assert "cdn." not in page and "/docs-assets/swagger-ui-bundle.js" in page
    bundle = await client.get("/docs-assets/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert (await client.get("/docs-assets/..%2F..%2Faccess.py")).status_code == 404
