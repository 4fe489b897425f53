"""The loop watchdog warns once per stall, naming the blocking function; a healthy loop gets no warning."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bus.loop_watchdog import LoopWatchdog, LoopWatchdogSettings, start_loop_watchdog, watched_lifespan


def hold_the_loop_with_sleep(seconds: float) -> None:
    time.sleep(seconds)


async def handle_with_blocking_call() -> None:
    hold_the_loop_with_sleep(0.6)


async def _take_turns(turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0.01)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    mine = [r for r in caplog.records if r.name == "bus.loop_watchdog"]
    return [r.getMessage() for r in mine if r.levelno == logging.WARNING]


async def test_blocked_loop_logs_one_warning_naming_the_blocking_function(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bus.loop_watchdog")
    watchdog = LoopWatchdog(0.2).start()
    try:
        await asyncio.sleep(0.1)
        await handle_with_blocking_call()
        await asyncio.sleep(0.2)
    finally:
        watchdog.stop()
    (warning,) = _warnings(caplog)
    assert "event loop blocked" in warning
    assert "in hold_the_loop_with_sleep (" in warning  # the culprit: the innermost frame
    assert "handle_with_blocking_call" in warning  # and the stack that led there
    (stall,) = watchdog.stalls
    assert stall.seconds is not None and 0.5 <= stall.seconds < 1.6


async def test_two_stalls_give_two_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bus.loop_watchdog")
    watchdog = LoopWatchdog(0.2).start()
    try:
        for _ in range(2):
            hold_the_loop_with_sleep(0.5)
            await asyncio.sleep(0.2)
    finally:
        watchdog.stop()
    assert len(_warnings(caplog)) == 2


async def test_healthy_loop_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bus.loop_watchdog")
    watchdog = LoopWatchdog(0.5).start()
    try:
        # Busy but yielding, as a serving loop is: 20 tasks taking turns for about a second.
        await asyncio.gather(*(_take_turns(100) for _ in range(20)))
    finally:
        watchdog.stop()
    assert _warnings(caplog) == []
    assert not watchdog.stalls


async def test_threshold_comes_from_lgsp_loop_stall_seconds_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LGSP_LOOP_STALL_SECONDS", "0.8")
    watchdog = start_loop_watchdog()
    assert watchdog is not None and watchdog.threshold == 0.8
    watchdog.stop()
    monkeypatch.setenv("LGSP_LOOP_STALL_SECONDS", "0")
    assert start_loop_watchdog() is None
    monkeypatch.setenv("LGSP_LOOP_STALL_SECONDS", "-1")
    with pytest.raises(ValueError, match="loop_stall_seconds"):
        LoopWatchdogSettings()


def test_gateway_lifespan_runs_the_watchdog_which_names_a_blocking_route(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGSP_LOOP_STALL_SECONDS", "0.2")
    caplog.set_level(logging.WARNING, logger="bus.loop_watchdog")
    api = FastAPI()

    @api.get("/slow")
    async def lookup_synchronously() -> dict[str, str]:
        hold_the_loop_with_sleep(0.6)
        return {"status": "late"}

    api.router.lifespan_context = watched_lifespan(api.router.lifespan_context)
    with TestClient(api) as client:
        assert "lgsp-loop-watchdog" in {thread.name for thread in threading.enumerate()}
        assert client.get("/slow").status_code == 200
        time.sleep(0.2)
    (warning,) = _warnings(caplog)
    assert "in hold_the_loop_with_sleep (" in warning and "lookup_synchronously" in warning
    assert "lgsp-loop-watchdog" not in {thread.name for thread in threading.enumerate()}
