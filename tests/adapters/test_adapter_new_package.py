"""An outside adapter written by `lgsp adapter new`, installed into this environment, works as the guide
says: it is lint-clean, passes `lgsp adapter check`, its own tests pass outside this repository's pytest
configuration, both its services answer through the gateway, and its signed callback becomes a bus event
(a badly signed one publishes nothing) — in-process and under `lgsp run --catalog`.

The package is generated into a temporary directory, pip-installed (no deps, no build isolation: offline)
for this module and uninstalled after.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from adapters.conformance.provider import RunningProvider
from bus.adapter_registry import build_adapters, installed_adapters
from bus.catalog import Catalog, load_catalog
from bus.event_recorder import EventRecorder
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport.memory import MemoryTransport
from bus.worker import Worker

pytestmark = pytest.mark.slow

NAME = "records_office_e2e"
DISTRIBUTION = "lgsp-adapter-records-office-e2e"
SUBMIT = f"/r1/VN/GOV/HPG/{NAME.upper()}/NopHoSo/v1"
LOOK_UP = f"/r1/VN/GOV/HPG/{NAME.upper()}/TraCuuHoSo/v1"
CALLBACK = f"/callbacks/{NAME}/decisions"
EVENT_TYPE = f"{NAME}.application_decided"
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key", "X-Road-UserId": "CB031001"}
APPLICATION = {"applicant_name": "Phạm Thị Lan", "id_number": "031095004321", "subject": "Cấp phiếu số 1"}
PIP_SECONDS = 180


def _env() -> dict[str, str]:
    """This environment without LGSP_ settings or pytest options that would leak into a child."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("LGSP_", "PYTEST_")) and k != "PYTHONPATH"
    }


def _run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated package's directory, installed for the module's tests."""
    target = tmp_path_factory.mktemp("outside") / NAME
    _run("-m", "pip", "uninstall", "-q", "-y", DISTRIBUTION)  # left over by a run that was killed
    made = _run("-m", "lgsp.cli", "adapter", "new", NAME, "--dir", str(target))
    assert made.returncode == 0, made.stderr
    installed = _run(
        "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(target), timeout=PIP_SECONDS
    )
    assert installed.returncode == 0, installed.stderr
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        _run("-m", "pip", "uninstall", "-q", "-y", DISTRIBUTION)
        for module in [m for m in sys.modules if m == NAME or m.startswith(f"{NAME}.")]:
            del sys.modules[module]
        importlib.invalidate_caches()


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{NAME}.{name}")


def test_the_generated_package_is_registered_and_lint_clean(package: Path) -> None:
    assert installed_adapters()[NAME].value == f"{NAME}:create_adapter"
    lint = _run("-m", "ruff", "check", "--no-cache", str(package))
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_generated_package_passes_lgsp_adapter_check(package: Path, tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    checked = _run("-m", "lgsp.cli", "adapter", "check", NAME, "--json", str(report_file), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    results = {r["name"]: r for r in json.loads(report_file.read_text(encoding="utf-8"))["results"]}
    assert results["idempotent_under_redelivery"]["detail"] == "one effect, same answer"
    assert results["maps_provider_outage"]["status"] == "pass"  # its mock has the fault controls
    assert results["no_credentials_in_logs"]["status"] == "pass"


def test_the_generated_packages_own_tests_pass_outside_this_repository(package: Path) -> None:
    tested = _run("-m", "pytest", "-p", "no:cacheprovider", "-rA", cwd=package, timeout=300)
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert f"rootdir: {package}" in tested.stdout  # its own configuration, not this repository's
    assert "PASSED tests/test_conformance.py::test_the_adapter_passes_the_conformance_kit" in tested.stdout


@dataclass
class Gateway:
    """The deployed gateway and a worker on one memory transport, and the bus's event subscriber."""

    http: httpx.AsyncClient
    events: EventRecorder
    secret: str


@pytest.fixture
async def gateway(package: Path) -> AsyncIterator[Gateway]:
    catalog: Catalog = load_catalog(package / "catalog.yaml")
    async with RunningProvider(_module("mock").create_app()) as office:
        settings = BusSettings(
            catalog=package / "catalog.yaml",
            amqp_url=None,
            redis_url=None,
            adapter_overrides={NAME: {"base_url": office.url}},
        )
        transport = MemoryTransport()
        app = assemble_gateway(catalog, transport, settings, manage_transport=False)
        await transport.connect()
        events = EventRecorder(transport, catalog.events)
        await events.start()
        adapters = build_adapters(
            catalog, [NAME], bus_values=settings.bus_values, overrides=settings.adapter_overrides
        )
        worker = Worker(catalog, transport, adapters, name="outside-worker", drain_seconds=1)
        await worker.start()
        try:
            async with app.router.lifespan_context(app):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://gw"
                ) as http:
                    yield Gateway(http, events, catalog.adapters[NAME]["callback_secret"])
        finally:
            await worker.stop()
            await events.stop()
            await transport.close()


def _decision(number: str) -> bytes:
    notice = {"application_number": number, "decision": "approved", "decided_at": "2026-12-01T10:00:00+07:00"}
    return json.dumps(notice).encode()


async def _events_of(recorder: EventRecorder, number: str, settle: float = 0.3) -> list[Any]:
    """Events about application `number` once the subscriber has had `settle` seconds to take them."""
    await asyncio.sleep(settle)
    return [e for e in recorder.recent if e.type == EVENT_TYPE and e.data["application_number"] == number]


async def test_both_services_answer_and_a_signed_callback_becomes_a_bus_event(gateway: Gateway) -> None:
    filed = await gateway.http.post(SUBMIT, json=APPLICATION, headers=STP)
    assert filed.status_code == 200, filed.text
    number = filed.json()["application_number"]
    found = await gateway.http.post(LOOK_UP, json={"application_number": number}, headers=STP)
    assert found.status_code == 200, found.text
    assert found.json() == {"found": True, "status": "received", "applicant_name": "Phạm Thị Lan"}

    sign = _module("callbacks").sign
    body = _decision(number)
    taken = await gateway.http.post(
        CALLBACK, content=body, headers={"x-signature": sign(body, gateway.secret)}
    )
    replay = await gateway.http.post(
        CALLBACK, content=body, headers={"x-signature": sign(body, gateway.secret)}
    )
    assert (taken.status_code, taken.json()["message"]) == (200, "taken")
    assert replay.status_code == 200 and replay.json()["message"].startswith("duplicate")
    [event] = await _events_of(gateway.events, number)
    assert event.source == f"VN/GOV/HPG/{NAME.upper()}/NopHoSo/v1" and event.data["decision"] == "approved"


async def test_a_badly_signed_callback_is_refused_and_publishes_nothing(gateway: Gateway) -> None:
    sign = _module("callbacks").sign
    number = f"HS{secrets.randbelow(10**10):010d}"
    body = _decision(number)
    forged = await gateway.http.post(CALLBACK, content=body, headers={"x-signature": sign(body, "guessed")})
    unsigned = await gateway.http.post(CALLBACK, content=body)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert await _events_of(gateway.events, number) == []
    # Nothing was recorded either: the genuine delivery of the same decision is taken.
    genuine = await gateway.http.post(
        CALLBACK, content=body, headers={"x-signature": sign(body, gateway.secret)}
    )
    assert genuine.json()["message"] == "taken"
    assert len(await _events_of(gateway.events, number)) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, process.communicate()[0]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer within {seconds:g} s"
        time.sleep(0.2)


def test_lgsp_run_serves_the_generated_catalog_and_publishes_its_callback(
    package: Path, tmp_path: Path
) -> None:
    office_port, gateway_port = _free_port(), _free_port()
    catalog = (package / "catalog.yaml").read_text(encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(
        catalog.replace("http://127.0.0.1:8190", f"http://127.0.0.1:{office_port}"), encoding="utf-8"
    )
    office = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{NAME}.mock:create_app", "--factory", "--port", str(office_port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bus = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lgsp.cli",
            "run",
            "--no-mocks",
            "--port",
            str(gateway_port),
            "--catalog",
            str(tmp_path / "catalog.yaml"),
        ],
        env={**_env(), "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{gateway_port}"
    try:
        _wait_until_up(f"http://127.0.0.1:{office_port}/_control/health", office)
        _wait_until_up(f"{url}/health", bus)
        filed = httpx.post(url + SUBMIT, json=APPLICATION, headers=STP, timeout=15)
        assert filed.status_code == 200, filed.text
        number = filed.json()["application_number"]
        found = httpx.post(url + LOOK_UP, json={"application_number": number}, headers=STP, timeout=15)
        assert found.status_code == 200 and found.json()["found"] is True, found.text
        body = _decision(number)
        secret = f"{NAME}-demo-callback-secret"  # the generated catalog's
        sign = _module("callbacks").sign
        taken = httpx.post(url + CALLBACK, content=body, headers={"x-signature": sign(body, secret)})
        assert taken.status_code == 200 and taken.json()["message"] == "taken", taken.text
        time.sleep(0.5)  # the bus's subscriber logs the event it took
    finally:
        bus.send_signal(signal.SIGINT)
        output = bus.communicate(timeout=30)[0]
        office.terminate()
        office.wait(timeout=10)
    assert bus.returncode == 0, output
    assert f"event {EVENT_TYPE} from VN/GOV/HPG/{NAME.upper()}/NopHoSo/v1" in output, output
    # Nothing of the province's own configuration complains about a catalog without its systems (the
    # loop watchdog's warnings say how busy the machine was, not what the run was given).
    complaints = [
        line
        for line in output.splitlines()
        if (" WARNING " in line or " ERROR " in line) and "bus.loop_watchdog" not in line
    ]
    assert complaints == [], output
