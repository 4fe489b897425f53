"""`lgsp gateway` (the deployed gateway, over RabbitMQ and Redis) serves /ui, and a page's open event
stream does not hold its shutdown: SIGTERM ends the stream and the process well within its grace."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from bus.catalog import load_catalog
from bus.monitoring import make_monitoring_sink
from lgsp.default_catalog import DEFAULT_CATALOG
from loadtests.stack import free_port, lgsp_command
from tests.dashboard.conftest import ADMIN_KEY
from tests.dashboard.test_dashboard_api import record

GRACE = 15  # LGSP_HTTP_SHUTDOWN_GRACE of the gateway under test (s)
ADMIN = {"X-Admin-Key": ADMIN_KEY}


@pytest.fixture
def monitoring_prefix(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Monitoring keys of this test alone (here and in the gateway), deleted afterwards."""
    prefix = f"test:gateway-dashboard:{secrets.token_hex(4)}:"
    monkeypatch.setenv("LGSP_MONITORING_KEY_PREFIX", prefix)
    yield prefix
    with redis.Redis.from_url(redis_url) as cleaner:
        for key in cleaner.scan_iter(f"{prefix}*"):
            cleaner.delete(key)


@pytest.fixture
def gateway(
    amqp_url: str, redis_url: str, monitoring_prefix: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`lgsp gateway` on a free port over the shared broker and Redis, with an admin key."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LGSP_")}
    env |= {
        "LGSP_MONITORING_KEY_PREFIX": monitoring_prefix,
        "LGSP_AUTH_ADMIN_KEY_SHA256": json.dumps([hashlib.sha256(ADMIN_KEY.encode()).hexdigest()]),
        "LGSP_HTTP_SHUTDOWN_GRACE": str(GRACE),
        "LGSP_WORKER_NAME": f"dashboard-test-{port}",
    }
    process = subprocess.Popen(
        [*lgsp_command(), "gateway", "--port", str(port), "--amqp-url", amqp_url, "--redis-url", redis_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "lgsp gateway did not answer /health within 60 s"
            time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


async def _recorded_elsewhere(redis_url: str, dossier: str) -> None:
    """A transaction recorded by another process of the deployment (here: this test) in shared Redis."""
    sink = make_monitoring_sink(redis_url, catalog=load_catalog(DEFAULT_CATALOG))
    await sink.connect()
    try:
        await sink.record(record(f"elsewhere-{dossier}", issue=dossier))
    finally:
        await sink.close()


@pytest.mark.slow
@pytest.mark.amqp
@pytest.mark.redis
def test_lgsp_gateway_serves_the_dashboard_and_a_stream_does_not_hold_its_shutdown(
    gateway: tuple[str, subprocess.Popen[str]], redis_url: str
) -> None:
    url, process = gateway
    page = httpx.get(f"{url}/ui/")
    assert page.status_code == 200 and "/ui/static/app.js" in page.text
    assert httpx.get(f"{url}/ui/api/snapshot").status_code == 401  # the deployment's views need a credential
    topology = httpx.get(f"{url}/ui/api/topology", headers=ADMIN).json()
    assert {node["kind"] for node in topology["nodes"]} == {"bus", "caller", "provider"}
    journeys = httpx.get(f"{url}/ui/api/journeys", headers=ADMIN).json()
    assert journeys["available"] is True  # read from the shared Store, though this process runs no engine
    faults = httpx.get(f"{url}/ui/api/faults", headers=ADMIN).json()
    assert faults["targets"] == {}  # no mocks of its own to drive
    dossier = f"HS-{secrets.token_hex(4)}"
    asyncio.run(_recorded_elsewhere(redis_url, dossier))
    listed = httpx.get(f"{url}/ui/api/transactions", params={"dossier": dossier}, headers=ADMIN).json()
    assert [row["id"] for row in listed["transactions"]] == [f"elsewhere-{dossier}"]

    ended_cleanly = False
    with httpx.Client(headers=ADMIN, timeout=httpx.Timeout(5, read=GRACE + 10)) as client:
        with client.stream("GET", f"{url}/ui/api/stream") as stream:
            lines = stream.iter_lines()
            assert next(line for line in lines if line.startswith("event:")) == "event: snapshot"
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            for _ in lines:  # the server ends the stream (a cut would raise here)
                pass
            ended_cleanly = True
    out, err = process.communicate(timeout=GRACE + 10)
    stopped_after = time.monotonic() - signalled
    assert ended_cleanly
    assert process.returncode in (0, -signal.SIGTERM), err  # uvicorn re-raises the signal it stopped on
    assert "timeout graceful shutdown exceeded" not in err  # nothing was left for the grace to cut
    assert stopped_after < GRACE, f"stopped {stopped_after:.1f} s after SIGTERM (grace {GRACE} s)"
    assert f"{url}/ui/" in out  # it told where the dashboard is
