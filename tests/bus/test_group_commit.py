"""Group commit: concurrent submissions share a write, each gets its own result or its batch's error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bus.group_commit import GroupCommit


class Recorder:
    """A batch writer that keeps what it was given, and can be held or made to fail one batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_with: Exception | None = None

    async def write(self, items: Sequence[int]) -> list[str]:
        self.batches.append(list(items))
        await self.release.wait()
        failure, self.fail_with = self.fail_with, None  # fails one batch
        if failure is not None:
            raise failure
        return [f"stored {item}" for item in items]


async def test_items_submitted_while_a_write_is_under_way_go_together_in_the_next() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.write, max_batch=4)
    results = await asyncio.gather(*(commit.submit(n) for n in range(10)))
    assert results == [f"stored {n}" for n in range(10)]
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert commit.batches == 3


async def test_a_failed_write_fails_its_own_items_only() -> None:
    recorder = Recorder()
    recorder.release.clear()
    commit = GroupCommit(recorder.write)
    first = asyncio.ensure_future(commit.submit(1))
    await asyncio.sleep(0)  # the writer has taken item 1 and waits
    later = [asyncio.ensure_future(commit.submit(n)) for n in (2, 3)]
    recorder.fail_with = ConnectionError("redis went away")
    recorder.release.set()
    with pytest.raises(ConnectionError, match="went away"):
        await first
    assert await asyncio.gather(*later) == ["stored 2", "stored 3"]
    assert recorder.batches == [[1], [2, 3]]


async def test_a_caller_cancelled_before_its_batch_is_taken_is_not_written() -> None:
    recorder = Recorder()
    recorder.release.clear()
    commit = GroupCommit(recorder.write)
    first = asyncio.ensure_future(commit.submit(1))
    await asyncio.sleep(0)
    given_up = asyncio.ensure_future(commit.submit(2))
    kept = asyncio.ensure_future(commit.submit(3))
    await asyncio.sleep(0)
    given_up.cancel()
    recorder.release.set()
    assert await first == "stored 1" and await kept == "stored 3"
    assert given_up.cancelled()
    assert recorder.batches == [[1], [3]]


async def test_a_caller_cancelled_during_the_write_does_not_abort_the_others() -> None:
    recorder = Recorder()
    recorder.release.clear()
    commit = GroupCommit(recorder.write)
    callers = [asyncio.ensure_future(commit.submit(n)) for n in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the writer holds items 0, 1, 2
    callers[0].cancel()
    recorder.release.set()
    assert await asyncio.gather(*callers[1:]) == ["stored 1", "stored 2"]
    assert recorder.batches == [[0, 1, 2]]  # item 0 was written all the same
    await commit.drain()


async def test_a_writer_returning_the_wrong_number_of_results_fails_the_batch() -> None:
    async def short(items: Sequence[int]) -> list[str]:
        return ["only one"]

    commit = GroupCommit(short)
    outcomes = await asyncio.gather(commit.submit(1), commit.submit(2), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) and "1 results for 2 items" in str(o) for o in outcomes)


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommit(Recorder().write, max_batch=0)
