"""What the dashboard costs: first-load page weight, server CPU per open dashboard, and the bus's pace
with and without 10 open dashboards. Run `python -m tests.dashboard.measure_cost [PAGES]` (about 3 min,
all on 127.0.0.1; PAGES open event streams, 10 by default); it prints one JSON object. The figures are
quoted in the README's Dashboard section.

The bus's pace is measured as `lgsp bench` measures it: its load generator (loadtests.bench.generator,
its own process, so its CPU is not the bus's) sends echo calls at fixed concurrency, and the stack's
CPU is read from /proc over the same window; rounds without and with 10 open event streams alternate
(the shared machine's load drifts), and the medians are reported beside every round.
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
from typing import Any

import httpx

from loadtests.bench.cases import ECHO_BODY
from loadtests.bench.cpu import cpu_seconds
from loadtests.bench.generator import GeneratorResult, GeneratorSpec
from tests.dashboard.conftest import ADMIN_KEY, CHROMIUM
from tests.dashboard.test_dashboard_browser import ECHO, STP

PAGES = 10
HOLD_SECONDS = 20.0
BENCH_SECONDS = 8.0
WARMUP = 1.0
ROUNDS = 4  # alternated, medians reported: the shared machine's load drifts between runs
CONCURRENCY = 16


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


async def bench(gateway: str, pid: int, seconds: float) -> dict[str, float]:
    """One `lgsp bench`-style round against the running stack: tx/s, p50/p99 (ms) and the stack
    process's CPU-µs per transaction over the measured window."""
    spec = GeneratorSpec(
        url=f"{gateway}/r1/{ECHO}", body=ECHO_BODY, headers=STP, concurrency=CONCURRENCY, seconds=seconds,
        warmup=WARMUP,
    )  # fmt: skip
    generator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtests.bench.generator", spec.model_dump_json(), stdout=subprocess.PIPE
    )
    await asyncio.sleep(WARMUP)
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    spent = cpu_seconds(pid) - before
    out, _ = await generator.communicate()
    load = GeneratorResult.model_validate_json(out)
    assert load.requests and not load.failures, load.first_failure
    return {
        "tx_s": load.tx_s,
        "p50_ms": load.p50_ms,
        "p99_ms": load.p99_ms,
        "cpu_us_per_tx": round(1e6 * spent / load.requests, 1),
    }


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def measure(gateway: str, pid: int, pages: int) -> dict[str, Any]:
    idle_before = cpu_seconds(pid)
    await asyncio.sleep(HOLD_SECONDS)
    idle = cpu_seconds(pid) - idle_before
    before = cpu_seconds(pid)
    frames = await hold_streams(gateway, pages, HOLD_SECONDS)
    watched = cpu_seconds(pid) - before
    alone, with_pages = [], []
    for _ in range(ROUNDS):
        alone.append(await bench(gateway, pid, BENCH_SECONDS))
        streams = asyncio.create_task(hold_streams(gateway, pages, WARMUP + BENCH_SECONDS + 2))
        await asyncio.sleep(1)
        with_pages.append(await bench(gateway, pid, BENCH_SECONDS))
        await streams
    return {
        "idle_cpu_ms_per_s": round(idle / HOLD_SECONDS * 1000, 2),
        "pages": pages,
        "cpu_ms_per_s_with_pages": round(watched / HOLD_SECONDS * 1000, 2),
        "cpu_ms_per_dashboard_per_s": round((watched - idle) / HOLD_SECONDS / pages * 1000, 3),
        "frames_received": frames,
        "bench_without_pages": median(alone),
        "bench_with_pages": median(with_pages),
        "rounds": {"without": alone, "with_pages": with_pages},
    }


def main(pages: int = PAGES) -> None:
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
        result.update(asyncio.run(measure(started["urls"]["gateway"], process.pid, pages)))
        print(json.dumps(result, indent=2))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else PAGES)
