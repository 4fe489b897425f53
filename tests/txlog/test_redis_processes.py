"""Several OS processes append to one Redis stream: the compare-and-set keeps a single valid chain."""

from __future__ import annotations

import asyncio
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from tests.txlog.conftest import LogUnderTest

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 150


@pytest.mark.redis
@pytest.mark.slow
async def test_two_processes_appending_at_once_keep_one_valid_chain(redis_log: LogUnderTest) -> None:
    under_test = redis_log
    url, key = under_test.settings.redis_url, under_test.settings.stream_key
    assert url is not None
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.txlog.append_process",
            url,
            key,
            str(PER_PROCESS),
            str(i * 1000),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(2)
    ]
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(p.communicate(b"go\n") for p in processes)), timeout=60
        )
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert [p.returncode for p in processes] == [0, 0], [err.decode()[-2000:] for _, err in outcomes]
    report = await under_test.log.verify()
    assert report.ok, report.findings
    assert (report.checked, report.first_sequence, report.last_sequence) == (
        2 * PER_PROCESS,
        1,
        2 * PER_PROCESS,
    )
    entries = [e async for e in under_test.log.entries()]
    assert [e.sequence for e in entries] == list(range(1, 2 * PER_PROCESS + 1))
    # Evidence that the processes really raced: their appends interleave in the chain.
    owners = [int(e.transaction_id.split("-")[1]) // 1000 for e in entries]
    switches = sum(1 for a, b in pairwise(owners) if a != b)
    assert switches > 1
