"""Faults over a real socket (uvicorn on 127.0.0.1, random port): hangs, abandoned hangs and the CLI."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from services.faults import FaultInjector, FaultProfile, Latency, install_faults
from services.faults.cli import faults_app


@dataclass
class LiveMock:
    url: str
    injector: FaultInjector


@pytest.fixture
def live() -> Iterator[LiveMock]:
    """A tiny mock with fault injection served by uvicorn in a thread, on a port the OS picked."""
    app = FastAPI()

    @app.post("/verify")
    async def verify(body: dict[str, str]) -> dict[str, bool]:
        return {"TonTai": body.get("SoDinhDanh") == "031090001234"}

    injector = install_faults(app, "live", FaultProfile(seed=5))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.02)
    host, port = sock.getsockname()
    yield LiveMock(f"http://{host}:{port}", injector)
    server.should_exit = True
    thread.join(10)
    sock.close()


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_hang_ends_with_504_after_hang_seconds(live: LiveMock) -> None:
    live.injector.set_profile(FaultProfile(timeout_rate=1.0, hang_seconds=0.3))
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
        started = time.monotonic()
        response = await client.post("/verify", json={"SoDinhDanh": "031090001234"})
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 504
    assert response.json()["type"] == "hang"
    assert live.injector.stats()["hang"] == 1


async def test_hang_stops_when_the_client_gives_up(live: LiveMock) -> None:
    live.injector.set_profile(FaultProfile(timeout_rate=1.0, hang_seconds=120))
    async with httpx.AsyncClient(base_url=live.url, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/verify", json={"SoDinhDanh": "031090001234"})
    await wait_for(lambda: live.injector.stats()["hang_abandoned"] == 1)
    assert live.injector.stats()["hang"] == 1


async def test_requests_without_faults_reach_the_handler_over_the_socket(live: LiveMock) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
        response = await client.post("/verify", json={"SoDinhDanh": "031090001234"})
    assert response.json() == {"TonTai": True}


runner = CliRunner()


def plain(output: str) -> str:
    """CLI output with rich's box drawing and line wrapping taken out."""
    return " ".join(output.replace("│", " ").split())


def test_cli_show_prints_profile_and_counters(live: LiveMock) -> None:
    result = runner.invoke(faults_app, ["show", live.url])
    assert result.exit_code == 0, result.output
    assert "faults of live" in result.output
    assert "error_rate" in result.output
    assert "requests" in result.output


def test_cli_set_changes_only_the_given_options(live: LiveMock) -> None:
    result = runner.invoke(
        faults_app,
        ["set", live.url, "--error-rate", "0.25", "--latency", "lognormal:150:3000", "--soap-fault"],
    )
    assert result.exit_code == 0, result.output
    assert live.injector.profile == FaultProfile(
        error_rate=0.25, latency=Latency.lognormal(150, 3000), soap_fault=True, seed=5
    )


def test_cli_set_outage_and_rate_limit_then_turn_them_off(live: LiveMock) -> None:
    assert runner.invoke(faults_app, ["set", live.url, "--outage", "--rate-limit", "20"]).exit_code == 0
    assert live.injector.profile.outage
    assert live.injector.profile.rate_limit_per_second == 20.0
    assert runner.invoke(faults_app, ["set", live.url, "--no-outage", "--rate-limit", "0"]).exit_code == 0
    assert not live.injector.profile.outage
    assert live.injector.profile.rate_limit_per_second is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--latency", "lognormal:abc"], "lognormal needs P50:P99 in ms, got 'lognormal:abc'"),
        (["--latency", "fixed:x"], "fixed needs MS in ms, got 'fixed:x'"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--error-status", "200"], "--error-status"),
        ([], "give at least one option"),
    ],
)
def test_cli_set_refuses_bad_options_and_changes_nothing(
    live: LiveMock, arguments: list[str], message: str
) -> None:
    result = runner.invoke(faults_app, ["set", live.url, *arguments])
    assert result.exit_code == 2
    assert message in plain(result.output)
    assert live.injector.profile == FaultProfile(seed=5)


def test_cli_reset_restores_the_defaults(live: LiveMock) -> None:
    live.injector.set_profile(FaultProfile(outage=True))
    result = runner.invoke(faults_app, ["reset", live.url])
    assert result.exit_code == 0, result.output
    assert live.injector.profile == FaultProfile(seed=5)


def test_cli_says_when_the_mock_cannot_be_reached() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = runner.invoke(faults_app, ["show", url])
    assert result.exit_code == 1
    assert f"cannot reach the mock at {url}" in plain(result.output)
