"""The gateway as deployed, over Redis: calls land in the shared transaction log and monitoring."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as redis
from typer.testing import CliRunner

from adapters.echo import EchoAdapter
from bus.catalog import Catalog, load_catalog
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport import make_transport
from bus.transport.base import Transport
from bus.worker import Worker
from lgsp.cli import app as lgsp
from lgsp.default_catalog import DEFAULT_CATALOG

pytestmark = pytest.mark.redis
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key", "X-Road-Issue": "H31.99-20261124-0001"}
CITIZEN = "031190000777"
TOKEN = "monitoring-token-of-this-test"
MONITOR = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def echo_bus(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, *, restore: tuple[str, ...] = ()
) -> AsyncIterator[tuple[Catalog, Transport, str]]:
    """The catalog, a memory transport with an echo worker, and the key prefix of this test's own under
    which the log and monitoring write; those keys (and the `restore` keys) deleted afterwards."""
    prefix = f"lgsp-test-{secrets.token_hex(4)}"
    monkeypatch.setenv("LGSP_TXLOG_STREAM_KEY", f"{prefix}:txlog")
    monkeypatch.setenv("LGSP_MONITORING_KEY_PREFIX", f"{prefix}:monitoring:")
    catalog = load_catalog(DEFAULT_CATALOG)
    transport = make_transport(None)
    await transport.connect()
    echo_only = [str(s.id) for s in catalog.services if s.adapter == "echo"]
    worker = Worker(catalog, transport, {"echo": EchoAdapter({})}, name="w", only=echo_only)
    await worker.start()
    try:
        yield catalog, transport, prefix
    finally:
        await worker.stop()
        await transport.close()
        connection = redis.from_url(redis_url)
        keys = [key async for key in connection.scan_iter(f"{prefix}*")]
        if keys or restore:
            await connection.delete(*restore, *keys)
        await connection.aclose()


@pytest.fixture
async def gateway(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with echo_bus(redis_url, monkeypatch) as (catalog, transport, prefix):
        api = assemble_gateway(
            catalog,
            transport,
            BusSettings(redis_url=redis_url),
            manage_transport=False,
            monitoring_token=TOKEN,
        )
        async with api.router.lifespan_context(api):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api), base_url="http://gw"
            ) as client:
                yield client, prefix


async def test_calls_are_logged_verifiable_and_searchable_by_citizen(
    gateway: tuple[httpx.AsyncClient, str], redis_url: str
) -> None:
    client, prefix = gateway
    for _ in range(3):
        answer = await client.post("/r1/VN/GOV/HPG/LGSP/Echo/v1", json={"id_number": CITIZEN}, headers=STP)
        assert answer.status_code == 200
    refused = await client.post("/r1/VN/GOV/HPG/LGSP/Echo/v1", json={}, headers={**STP, "X-Api-Key": "x"})
    assert refused.status_code == 401
    runner = CliRunner()
    stream = ["--redis-url", redis_url, "--stream-key", f"{prefix}:txlog"]
    verified = await asyncio.to_thread(runner.invoke, lgsp, ["log", "verify", *stream])  # asyncio.run inside
    assert verified.exit_code == 0, verified.output
    who = await asyncio.to_thread(runner.invoke, lgsp, ["log", "who-accessed", CITIZEN, *stream])
    assert who.exit_code == 0, who.output
    assert f"who accessed {CITIZEN}: 3 transaction(s)" in who.output
    health = (await client.get("/monitoring/health", headers=MONITOR)).json()["services"]
    echo = next(h for h in health if h["service"] == "VN/GOV/HPG/LGSP/Echo/v1")
    assert echo["request_count"] == 4 and echo["failure_count"] == 1


async def test_the_admin_api_opens_to_the_run_s_own_admin_key_and_to_no_other() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    transport = make_transport(None)
    api = assemble_gateway(
        catalog, transport, BusSettings(), manage_transport=False, admin_key="this-run-s-key"
    )
    async with api.router.lifespan_context(api):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://gw") as client:
            listed = await client.get("/admin/clients", headers={"X-Admin-Key": "this-run-s-key"})
            wrong = await client.get("/admin/clients", headers={"X-Admin-Key": "another-key"})
    assert listed.status_code == 200 and {"VN/GOV/HPG/STP"} <= {c["id"] for c in listed.json()}
    assert wrong.status_code == 401


async def test_a_key_rotated_on_one_replica_is_refused_on_another_that_kept_it(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGSP_AUTH_KEY_OVERLAP_SECONDS", "0")  # the replaced key stops at once
    demo_key = "lgsp:auth:keys:VN/GOV/HPG/STP"  # deleted afterwards: the demo key as it was
    async with echo_bus(redis_url, monkeypatch, restore=(demo_key,)) as (catalog, transport, _):
        settings = BusSettings(redis_url=redis_url)
        replicas = [
            assemble_gateway(
                catalog, transport, settings, manage_transport=False, admin_key="admin-of-this-test"
            )
            for _ in range(2)
        ]
        echo = "/r1/VN/GOV/HPG/LGSP/Echo/v1"
        async with (
            replicas[0].router.lifespan_context(replicas[0]),
            replicas[1].router.lifespan_context(replicas[1]),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=replicas[0]), base_url="http://gw") as here,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=replicas[1]), base_url="http://gw") as there,
        ):
            for _ in range(3):  # the key and the right now kept in the first replica
                assert (await here.post(echo, json={}, headers=STP)).status_code == 200
            rotated = await there.post(
                "/admin/keys/rotate",
                json={"client": STP["X-Road-Client"]},
                headers={"X-Admin-Key": "admin-of-this-test"},
            )
            assert rotated.status_code == 201
            new_key = rotated.json()["api_key"]
            statuses: list[int] = []
            for _ in range(500):  # until Redis's announcement reaches the first replica (bounded wait)
                statuses.append((await here.post(echo, json={}, headers=STP)).status_code)
                if statuses[-1] == 401:
                    break
                await asyncio.sleep(0.01)
            assert statuses[-1] == 401
            assert (await here.post(echo, json={}, headers={**STP, "X-Api-Key": new_key})).status_code == 200
