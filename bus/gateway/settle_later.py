"""Settling an idempotency key after the call had its effect, even when the store is out at that moment.

The caller gets its real answer; the key's record is written in the background as soon as the store is
back (the key stays in flight meanwhile, so a retry waits or is refused, never run again while its
record is due). Without it, a Redis blink at this instant turned a success into 503 "not done" and left
the key to be claimed again once its time ran out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bus.errors import BusUnavailable

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 2.0
GIVE_UP_SECONDS = 600.0


class LateSettlements:
    """Background retries of key settlements the store refused as unavailable."""

    def __init__(self, *, give_up: float = GIVE_UP_SECONDS) -> None:
        self.give_up = give_up
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Settlements still waiting for the store."""
        return len(self._tasks)

    async def settle(self, write: Callable[[], Awaitable[object]], what: str) -> None:
        """Run `write` now, or, if the store is unavailable, keep retrying it in the background."""
        try:
            await write()
        except BusUnavailable as outage:
            log.warning("store unreachable; the outcome of %s is recorded once it is back (%s)", what, outage)
            task = asyncio.ensure_future(self._retry(write, what))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float) -> None:
        """On shutdown: give pending settlements `timeout` seconds, then leave them (logged)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            log.error("outcome not recorded before shutdown: %s", task.get_name())
            task.cancel()

    async def _retry(self, write: Callable[[], Awaitable[object]], what: str) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.give_up
        pause = FIRST_RETRY_SECONDS
        while loop.time() < give_up:
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_SECONDS)
            try:
                await write()
            except BusUnavailable:
                continue
            log.warning("outcome of %s recorded after the store came back", what)
            return
        log.error("outcome of %s not recorded: the store stayed unreachable for %.0f s", what, self.give_up)
