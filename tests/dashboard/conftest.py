"""A live embedded stack in a subprocess and a Debian Chromium driven by Playwright, for /ui's tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.flows.conftest import journey_stack as journey_stack  # the engine's own fixture, reused

ADMIN_KEY = "dashboard-test-admin-key"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@dataclass
class LiveStack:
    """Where the stack listens, and its one-time launch link."""

    link: str
    urls: dict[str, str]

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]


@pytest.fixture(scope="module")
def live_stack() -> Iterator[LiveStack]:
    """`lgsp run`'s embedded stack on free ports, with an admin key configured."""
    digest = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    # a working day in 2 s: a birth journey started from the CLI ends within the browser test's wait
    env = {
        **os.environ,
        "LGSP_AUTH_ADMIN_KEY_SHA256": json.dumps([digest]),
        "LGSP_CLOCK_WORKING_DAY_SECONDS": "2",
    }
    env.pop("LGSP_REDIS_URL", None)
    env.pop("LGSP_AMQP_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.dashboard.live_stack"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the stack exited before it listened"
        started = json.loads(line)
        yield LiveStack(link=started["link"], urls=started["urls"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class PageWatch:
    """What a page did that a test must fail on: console errors and requests leaving the machine."""

    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium (never a downloaded browser), headless; missing: a skip, or under CI a failure."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing is None and not os.path.exists(CHROMIUM):
        missing = "chromium is not installed (apt-get install -y chromium)"
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing}; under CI=true the browser tests must run")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def watch(page: Any) -> PageWatch:
    """Record console errors and page errors; abort and record every request not to 127.0.0.1."""
    seen = PageWatch()
    page.on("console", lambda message: message.type == "error" and seen.console_errors.append(message.text))
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            seen.outside_requests.append(url)
            route.abort()

    page.route("**/*", only_local)
    return seen
