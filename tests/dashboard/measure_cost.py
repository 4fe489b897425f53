"""What the dashboard costs: first-load page weight, server CPU per open dashboard, and the bus's pace
with and without 10 open dashboards. Run `python -m tests.dashboard.measure_cost` (about 90 s, all on
127.0.0.1); it prints one JSON object. The figures are quoted in the README's Dashboard section.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx

from tests.dashboard.conftest import ADMIN_KEY, CHROMIUM
from tests.dashboard.test_dashboard_browser import ECHO, STP

PAGES = 10
HOLD_SECONDS = 20.0
BENCH_SECONDS = 6.0
ROUNDS = 3  # alternated, medians reported: the shared machine's load drifts between runs
CONCURRENCY = 16
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def page_weight(link: str) -> dict[str, Any]:
    """Bytes a first visit transfers (compressed as sent), by the browser's own list of requests."""
    from playwright.sync_api import sync_playwright

    urls: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda request: urls.append(request.url))
        page.goto(link)
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        browser.close()
    total = 0
    with httpx.Client(cookies=cookies, headers={"Accept-Encoding": "gzip"}) as client:
        for url in set(urls):
            if url.endswith("/ui/api/stream") or url.endswith("/ui/session"):
                continue  # the stream never ends; the sign-in is a few hundred bytes
            with client.stream("GET", url) as response:
                for _ in response.iter_raw():
                    pass
                total += response.num_bytes_downloaded
    return {"requests": len(urls), "first_load_kb": round(total / 1024, 1)}


async def hold_streams(gateway: str, pages: int, seconds: float) -> int:
    """Keep `pages` event streams open for `seconds`, reading every frame; answers frames received."""
    received = 0

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal received
        async with client.stream("GET", f"{gateway}/ui/api/stream") as response:
            async for line in response.aiter_lines():
                received += line.startswith("event:")

    headers = {"X-Admin-Key": ADMIN_KEY}
    async with httpx.AsyncClient(headers=headers, timeout=None) as client:
        tasks = [asyncio.create_task(one(client)) for _ in range(pages)]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return received


async def bench(gateway: str, seconds: float) -> dict[str, float]:
    """Echo calls at fixed concurrency for `seconds`: tx/s and p95 latency (ms)."""
    durations: list[float] = []
    stop = time.monotonic() + seconds

    async def caller(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            answer = await client.post(f"{gateway}/r1/{ECHO}", json={"x": 1}, headers=STP)
            assert answer.status_code == 200, answer.text
            durations.append((time.perf_counter() - started) * 1000)

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        await asyncio.gather(*(caller(client) for _ in range(CONCURRENCY)))
    durations.sort()
    return {
        "tx_s": round(len(durations) / seconds, 1),
        "p95_ms": round(durations[int(len(durations) * 0.95)], 2),
    }


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def measure(gateway: str, pid: int) -> dict[str, Any]:
    idle_before = cpu_seconds(pid)
    await asyncio.sleep(HOLD_SECONDS)
    idle = cpu_seconds(pid) - idle_before
    before = cpu_seconds(pid)
    frames = await hold_streams(gateway, PAGES, HOLD_SECONDS)
    watched = cpu_seconds(pid) - before
    alone, with_pages = [], []
    for _ in range(ROUNDS):
        alone.append(await bench(gateway, BENCH_SECONDS))
        streams = asyncio.create_task(hold_streams(gateway, PAGES, BENCH_SECONDS + 2))
        await asyncio.sleep(1)
        with_pages.append(await bench(gateway, BENCH_SECONDS))
        await streams
    return {
        "idle_cpu_ms_per_s": round(idle / HOLD_SECONDS * 1000, 2),
        "cpu_ms_per_s_with_10_pages": round(watched / HOLD_SECONDS * 1000, 2),
        "cpu_ms_per_dashboard_per_s": round((watched - idle) / HOLD_SECONDS / PAGES * 1000, 3),
        "frames_received": frames,
        "bench_without_pages": median(alone),
        "bench_with_10_pages": median(with_pages),
        "rounds": {"without": alone, "with_10_pages": with_pages},
    }


def main() -> None:
    env = {
        **os.environ,
        "LGSP_AUTH_ADMIN_KEY_SHA256": json.dumps([hashlib.sha256(ADMIN_KEY.encode()).hexdigest()]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.dashboard.live_stack"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        result = page_weight(started["link"])
        result.update(asyncio.run(measure(started["urls"]["gateway"], process.pid)))
        print(json.dumps(result, indent=2))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
