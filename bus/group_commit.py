"""Group commit: the writes that concurrent tasks of one process ask for while a write is on its way to
Redis go together in the next one, one round trip for the lot instead of one each.

Each `submit` waits for its own item's result (or the batch's error), so a caller still learns that its
item is stored before it answers. A batch is written by a task of its own: a caller cancelled while its
item is being written does not abort the write of the others' items; an item whose caller was cancelled
before its batch was taken is not written at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

WriteBatch = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]


@dataclass(frozen=True)
class _Waiting(Generic[Item, Result]):
    item: Item
    result: asyncio.Future[Result]


class GroupCommit(Generic[Item, Result]):
    """Writes submitted items through `write`, up to `max_batch` per call, one call at a time; `write`
    returns one result per item, in order, or raises for the whole batch."""

    def __init__(self, write: WriteBatch[Item, Result], *, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch!r}")
        self._write = write
        self._max_batch = max_batch
        self._queue: list[_Waiting[Item, Result]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # write calls made: items / batches is the batching achieved

    async def submit(self, item: Item) -> Result:
        """Write `item` with whatever else is waiting; its result, or the batch's exception."""
        waiting: _Waiting[Item, Result] = _Waiting(item, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_queued())
        return await waiting.result

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (or failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write_queued(self) -> None:
        while self._queue:
            taken, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            batch = [waiting for waiting in taken if not waiting.result.done()]
            if not batch:
                continue
            self.batches += 1
            try:
                results = await self._write([waiting.item for waiting in batch])
            except Exception as exc:
                _fail(batch, exc)
                continue
            except BaseException:
                # The writer itself is cancelled (shutdown): nobody may wait forever.
                for waiting in batch + self._queue:
                    waiting.result.cancel()
                self._queue = []
                raise
            if len(results) != len(batch):
                miscount = f"a batch write returned {len(results)} results for {len(batch)} items"
                _fail(batch, RuntimeError(miscount))
                continue
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.result.done():
                    waiting.result.set_result(result)


def _fail(batch: Sequence[_Waiting[Item, Result]], error: Exception) -> None:
    """Give `error` to every caller of `batch` still waiting."""
    for waiting in batch:
        if not waiting.result.done():
            waiting.result.set_exception(error)
