"""Two gateways sharing Redis show one deployment on /ui: the same records, log entries and sessions."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from bus.catalog import load_catalog
from bus.dashboard import install_dashboard
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport import MemoryTransport
from lgsp.default_catalog import DEFAULT_CATALOG
from tests.dashboard.test_dashboard_api import ADMIN_KEY, record

pytestmark = pytest.mark.redis


@pytest.fixture
async def two_gateways(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[list[tuple[FastAPI, httpx.AsyncClient]]]:
    prefix = f"test:dashboard:{secrets.token_hex(4)}"
    monkeypatch.setenv(
        "LGSP_AUTH_ADMIN_KEY_SHA256", json.dumps([hashlib.sha256(ADMIN_KEY.encode()).hexdigest()])
    )
    monkeypatch.setenv("LGSP_MONITORING_KEY_PREFIX", f"{prefix}:monitoring:")
    monkeypatch.setenv("LGSP_TXLOG_STREAM_KEY", f"{prefix}:txlog")
    catalog = load_catalog(DEFAULT_CATALOG)
    gateways = []
    for _ in range(2):
        app = assemble_gateway(catalog, MemoryTransport(), BusSettings(redis_url=redis_url))
        app.state.dashboard = install_dashboard(app)
        await app.state.monitoring.connect()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        gateways.append((app, client))
    yield gateways
    for app, client in gateways:
        await client.aclose()
        await app.state.dashboard.close()
        await app.state.monitoring.close()
        await app.state.transaction_log.close()
    cleaner = aioredis.from_url(redis_url)
    async for key in cleaner.scan_iter(f"{prefix}:*"):
        await cleaner.delete(key)
    await cleaner.aclose()


async def test_a_transaction_kept_by_one_gateway_shows_on_the_others_dashboard_and_sessions_carry_over(
    two_gateways: list[tuple[FastAPI, httpx.AsyncClient]],
) -> None:
    (first, first_client), (_, second_client) = two_gateways
    await first.state.monitoring.record(record("shared-1", issue="HS-SHARED"))
    entry = await first.state.transaction_log.append(record("shared-1", issue="HS-SHARED"))
    headers = {"X-Admin-Key": ADMIN_KEY}
    listed = (await second_client.get("/ui/api/transactions?dossier=HS-SHARED", headers=headers)).json()
    assert [row["id"] for row in listed["transactions"]] == ["shared-1"]
    snapshot = (await second_client.get("/ui/api/snapshot", headers=headers)).json()
    assert snapshot["edges"]["lgsp>provider:echo"]["calls"] == 1
    opened = await second_client.get(
        "/ui/api/transactions/shared-1", params={"at": entry.request_in.isoformat()}, headers=headers
    )
    assert opened.status_code == 200 and opened.json()["checks"][0]["ok"] is True

    signed = await first_client.post("/ui/session", json={"admin_key": ADMIN_KEY})
    cookie = signed.cookies["lgsp_dashboard"]
    second_client.cookies.set("lgsp_dashboard", cookie)
    assert (await second_client.get("/ui/session")).json()["role"] == "admin"
    await second_client.delete("/ui/session")
    first_client.cookies.set("lgsp_dashboard", cookie)
    assert (await first_client.get("/ui/session")).status_code == 401  # signed out everywhere
