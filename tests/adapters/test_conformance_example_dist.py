"""A separately installed adapter package is discovered, checked and served with no change to the project.

The distribution in example_dist/ is pip-installed into this venv for the test and uninstalled after.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.conformance import check_target
from adapters.conformance.provider import RunningProvider
from bus.adapter_registry import build_adapters, installed_adapters
from bus.catalog import parse_catalog
from bus.codec import decode_reply, envelope_message
from bus.envelope import Envelope
from bus.transport.memory import MemoryTransport
from bus.worker import Worker
from lgsp.mock_provider import mock_provider

DIST = Path(__file__).parent / "example_dist"
PIP_SECONDS = 180
SERVICE = "VN/GOV/BTP/HOTICH/TraCuuTinhTrangHonNhan/v1"
CATALOG = """
adapters:
  example-marital: {{base_url: "{url}"}}
clients:
  - id: VN/GOV/HPG/STP
    api_key_sha256: [1968480932cc2b3de54e4a49f00cdcb1c0279c42c29ba82f262ecb6bd66ae33b]
services:
  - id: {service}
    adapter: example-marital
    allow: [VN/GOV/HPG/STP]
"""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, timeout=PIP_SECONDS)


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Built from a copy, so setuptools' build/ and egg-info never land in the repository.
    source = shutil.copytree(DIST, tmp_path_factory.mktemp("example") / "dist")
    _pip("install", "--no-deps", "--no-build-isolation", str(source))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        _pip("uninstall", "-y", "lgsp-example-marital")
        importlib.invalidate_caches()


@pytest.mark.slow
def test_installed_package_is_discovered_in_the_entry_point_group(installed_example: None) -> None:
    entry = installed_adapters()["example-marital"]
    assert entry.value == "lgsp_example_marital:create_adapter"


@pytest.mark.slow
async def test_installed_package_passes_the_conformance_kit_by_its_entry_point_name(
    installed_example: None,
) -> None:
    report = await check_target("example-marital")
    assert report.ok, report.model_dump_json(indent=1)


@pytest.mark.slow
async def test_installed_package_is_served_by_a_worker_over_the_bus(installed_example: None) -> None:
    async with RunningProvider(mock_provider("civil")()) as civil:
        catalog = parse_catalog(CATALOG.format(url=civil.url, service=SERVICE))
        transport = MemoryTransport()
        await transport.connect()
        adapters = build_adapters(catalog, ["example-marital"])
        worker = Worker(catalog, transport, adapters, name="example-worker")
        await worker.start()
        try:
            envelope = Envelope(
                client="VN/GOV/HPG/STP", service=SERVICE, payload={"id_number": "030190745721"}
            )
            queue = envelope.service.queue_name
            reply = decode_reply(await transport.request(queue, envelope_message(envelope), timeout=10))
        finally:
            await worker.stop()
            await transport.close()
    assert reply.ok, reply.error
    assert reply.payload == {"found": True, "full_name": "Nguyễn Thị Hương", "marital_status": "married"}
