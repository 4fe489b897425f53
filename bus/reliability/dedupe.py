"""Worker-side dedupe: the replies of completed messages, and leases on messages being worked on.

A redelivered message whose work completed is answered from its record, not by calling the provider
again; a message already leased by another worker (an in-flight duplicate) is put back for later. The
lease is short and renewed while the work runs, so a dead worker's lease lapses within seconds.
"""

from __future__ import annotations

import asyncio
import logging

from bus.envelope import Reply
from bus.reliability.breaker import CallCount
from bus.store.base import Store

log = logging.getLogger(__name__)

DONE_PREFIX = "worker:done:"
LEASE_PREFIX = "worker:lease:"
# The work lease is short and renewed while the work runs, so a killed worker's message is taken up
# again within seconds of its redelivery rather than after a lease sized for the longest call.
WORK_LEASE_SECONDS = 2.0
LEASE_RENEW_SECONDS = 0.5


class CompletedWork:
    """Message id → final reply, kept `ttl` seconds, plus per-message work leases, in a shared Store."""

    def __init__(self, store: Store, *, ttl: float = 86_400.0) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        self.store = store
        self.ttl = ttl

    async def reply_for(self, message_id: str) -> Reply | None:
        """The final reply recorded for `message_id`, if its work completed."""
        raw = await self.store.get(DONE_PREFIX + message_id)
        return Reply.model_validate_json(raw) if raw is not None else None

    async def record(self, message_id: str, encoded_reply: bytes, *, count: CallCount | None = None) -> None:
        """Remember that `message_id` completed with `encoded_reply` (the Reply's JSON, as sent); with
        `count`, add its call to that breaker counter in the same store step."""
        key = DONE_PREFIX + message_id
        if count is None:
            await self.store.set(key, encoded_reply, ttl=self.ttl)
            return
        await self.store.set_and_incr(key, encoded_reply, count.counter, ttl=self.ttl, counter_ttl=count.ttl)

    async def reply_or_lease(
        self, message_id: str, holder: str, *, seconds: float
    ) -> tuple[Reply | None, bool]:
        """`message_id`'s recorded reply if its work completed (no lease taken); else None and whether
        `holder` took the work lease for `seconds` (False: another holder has it). One store step."""
        raw, leased = await self.store.get_else_set_if_absent(
            DONE_PREFIX + message_id, LEASE_PREFIX + message_id, holder.encode(), ttl=seconds
        )
        return (Reply.model_validate_json(raw) if raw is not None else None), leased

    async def renew(self, message_id: str, holder: str, *, seconds: float, every: float) -> None:
        """Renew `holder`'s lease for `seconds` now and every `every` seconds until cancelled; stop
        once it is released or lost (another holder's lease is never extended)."""
        key = LEASE_PREFIX + message_id
        held = holder.encode()
        while True:
            try:
                if not await self.store.replace_if(key, held, held, ttl=seconds):
                    return
            except Exception as error:  # a store hiccup: the lease may lapse, the next round tries again
                log.warning("renewing the work lease of %s failed: %r", message_id, error)
            await asyncio.sleep(every)

    async def in_progress(self, message_id: str) -> bool:
        """Whether a worker holds the work lease on `message_id` now (the work is running)."""
        return await self.store.get(LEASE_PREFIX + message_id) is not None

    async def release(self, message_id: str) -> None:
        """Give the lease up (the work is recorded, or failed and will be retried)."""
        await self.store.delete(LEASE_PREFIX + message_id)


class LeaseRenewal:
    """Keeps a work lease alive while the work runs; the renewing task starts only for work that
    outlasts one renewal period, so the common short call costs a timer, not a task."""

    def __init__(self, completed: CompletedWork, message_id: str, holder: str) -> None:
        self._task: asyncio.Task[None] | None = None
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(LEASE_RENEW_SECONDS, self._start, loop, completed, message_id, holder)

    def _start(
        self, loop: asyncio.AbstractEventLoop, completed: CompletedWork, message_id: str, holder: str
    ) -> None:
        renew = completed.renew(message_id, holder, seconds=WORK_LEASE_SECONDS, every=LEASE_RENEW_SECONDS)
        self._task = loop.create_task(renew)

    def stop(self) -> None:
        """The work is over: no more renewals (the lease then expires, or was released)."""
        self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
