"""Several OS processes append to one Redis stream: the compare-and-set keeps a single valid chain."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bus.txlog import RedisTransactionLog, TransactionLogDamaged
from tests.txlog.conftest import LogUnderTest, make_record

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 300


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
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert await asyncio.wait_for(process.stdout.readline(), timeout=30) == b"ready\n"
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


@pytest.mark.redis
async def test_append_on_a_stale_head_retries_on_the_current_one(redis_log: LogUnderTest) -> None:
    first, second = redis_log.log, redis_log.open_another()
    assert isinstance(first, RedisTransactionLog) and isinstance(second, RedisTransactionLog)
    await first.append(make_record(1))
    await second.append(make_record(2))  # first still believes the head is sequence 1
    third = await first.append(make_record(3))
    assert first.conflicts == 1 and second.conflicts == 0
    assert third.sequence == 3
    report = await first.verify()
    assert report.ok and report.checked == 3


@pytest.mark.redis
async def test_appends_made_at_once_share_script_calls_and_race_another_handle_safely(
    redis_log: LogUnderTest,
) -> None:
    first, second = redis_log.log, redis_log.open_another()
    assert isinstance(first, RedisTransactionLog) and isinstance(second, RedisTransactionLog)
    await first.append(make_record(0))
    await second.append(make_record(1))  # first's head is stale: its first batch conflicts and retries
    entries = await asyncio.wait_for(
        asyncio.gather(
            *(first.append(make_record(n)) for n in range(100, 130)),
            *(second.append(make_record(n)) for n in range(200, 230)),
        ),
        timeout=20,
    )
    assert sorted(e.sequence for e in entries) == list(range(3, 63))
    assert first.append_calls + second.append_calls < 30  # 60 appends in a few round trips
    assert first.conflicts >= 1
    report = await first.verify()
    assert report.ok and report.checked == 62


@pytest.mark.redis
async def test_append_is_refused_when_the_head_key_was_deleted(redis_log: LogUnderTest) -> None:
    log = redis_log.log
    assert isinstance(log, RedisTransactionLog)
    await log.append(make_record(1))
    fresh = RedisTransactionLog(redis_log.settings)
    raw = aioredis.Redis.from_url(redis_log.settings.redis_url or "")
    try:
        await raw.delete(log.head_key)
        with pytest.raises(TransactionLogDamaged, match="head"):
            await fresh.append(make_record(2))
        assert await raw.xlen(log.stream_key) == 1
    finally:
        await fresh.close()
        await raw.aclose()
    assert ("missing_anchor", None) in [(f.kind, f.sequence) for f in (await log.verify()).findings]
