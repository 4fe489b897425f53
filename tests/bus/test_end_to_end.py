"""End to end through real RabbitMQ: the gateway in this process, `lgsp worker` in another."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from bus.catalog import hash_api_key, load_catalog
from bus.gateway.app import create_gateway
from bus.transport import make_transport
from tests.reliability.processes import delete_queues

pytestmark = pytest.mark.amqp
KEY = "e2e-key"
WORKER_START_SECONDS = 60.0


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    subsystem = "E" + secrets.token_hex(4).upper()
    path = tmp_path / "catalog.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "adapters": {"echo": {}},
                "clients": [{"id": "VN/GOV/HPG/STP", "api_key_sha256": [hash_api_key(KEY)]}],
                "services": [
                    {"id": f"VN/GOV/HPG/{subsystem}/Echo/v1", "adapter": "echo", "allow": ["VN/GOV/HPG/STP"]}
                ],
            }
        )
    )
    return path


@pytest.fixture
def worker_process(amqp_url: str, catalog_file: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "LGSP_AMQP_URL": amqp_url, "LGSP_CATALOG": str(catalog_file)}
    process = subprocess.Popen(
        [sys.executable, "-m", "lgsp.cli", "worker", "--name", "e2e-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
async def gateway(amqp_url: str, catalog_file: Path) -> AsyncIterator[httpx.AsyncClient]:
    catalog = load_catalog(catalog_file)
    transport = make_transport(amqp_url, connection_name="lgsp-e2e-gateway")
    await transport.connect()
    app = create_gateway(catalog, transport, manage_transport=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client
    await transport.close()
    await delete_queues(amqp_url, catalog)


async def test_request_crosses_rabbitmq_to_a_worker_process_and_back(
    gateway: httpx.AsyncClient, worker_process: subprocess.Popen[str], catalog_file: Path
) -> None:
    service = load_catalog(catalog_file).services[0]
    url = f"/r1/{service.id}"
    headers = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}
    response = None
    # Until the worker process has declared its queue and is consuming: a Python process's start-up
    # takes seconds, and over ten on a loaded 2-core machine (once 13 s under CI beside other work).
    started_by = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < started_by:
        response = await gateway.post(url, json={"HoVaTen": "Trần Văn Bình"}, headers=headers)
        if response.status_code == 200:
            break
        assert worker_process.poll() is None, worker_process.stdout.read() if worker_process.stdout else ""
        await asyncio.sleep(0.1)
    assert response is not None and response.status_code == 200, response.text if response else None
    assert response.json()["echo"] == {"HoVaTen": "Trần Văn Bình"}
    assert response.headers["x-lgsp-worker"] == "e2e-worker"
    answers = await asyncio.gather(*(gateway.post(url, json={"n": n}, headers=headers) for n in range(50)))
    assert [a.json()["echo"]["n"] for a in answers] == list(range(50))
