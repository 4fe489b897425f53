"""Journeys the bus starts on an event: it polls the feed a definition declares (`feed:`) and starts one
journey per new entry, its dossier code derived from the entry, its deadline counted from the entry's own
time when the definition names it (`received_at`: when the event happened, not when the bus read it).

Once per entry, across polls, engines and restarts: the position of the last entry handled is kept in
the Store and written after each start, and a start is idempotent by dossier code, so an entry read
again (a crash between the start and the write, two engines polling at once) answers the journey it
started. One engine polls a feed at a time (a lease in the Store); a failed poll is tried at the next
interval. An entry no journey can be started for (no position after the cursor, bad inputs, a bad time)
is kept as a `RefusedFeedEntry` (feed_refusals) before the cursor moves past it, and the feed goes on:
one bad entry cannot stop it, and none is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

from pydantic import JsonValue

from bus.envelope import new_id
from bus.flows.feed_refusals import FeedRefusals, RefusedFeedEntry, kept
from bus.flows.journey_model import FeedTrigger, JourneyDefinition
from bus.flows.journey_paths import MissingValue, lookup, render, render_text, resolve
from bus.flows.journey_settings import JourneySettings
from bus.flows.journeys import InvalidStart, JourneyError, Journeys
from bus.flows.service_calls import ServiceCall, ServiceCaller, derived_ids
from bus.store.base import Store

log = logging.getLogger(__name__)
LEASE_SECONDS = 30.0


def feed_refusals(store: Store, settings: JourneySettings) -> FeedRefusals:
    """Where the followers of journeys with `settings` keep the feed entries they refused."""
    return FeedRefusals(store, prefix=f"{settings.store_prefix}feed:")


class FeedFollower:
    """Polls the feed of every definition that declares one, while started."""

    def __init__(
        self,
        definitions: Iterable[JourneyDefinition],
        *,
        journeys: Journeys,
        caller: ServiceCaller,
        store: Store,
        settings: JourneySettings,
        holder: str,
    ) -> None:
        self.definitions = [d for d in definitions if d.feed is not None]
        self.journeys = journeys
        self.caller = caller
        self.store = store
        self.prefix = f"{settings.store_prefix}feed:"
        self.refusals = feed_refusals(store, settings)
        self.holder = holder
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        """Poll each feed every its `every_seconds`, the first time one interval from now (the process
        starting the follower is then serving the services the feed is read through)."""
        self._stopping = False
        for definition in self.definitions:
            self._tasks.append(asyncio.create_task(self._follow(definition), name=f"feed-{definition.kind}"))

    async def stop(self) -> None:
        """Stop polling (a round in progress is cut: what it started is kept, its entries read again).

        A round's cancellation can be lost on the way (Python 3.11's asyncio.wait_for drops one that
        meets its awaited result, and redis-py sends every command under it when a socket time-out is
        set): the loop then ends after that round instead of polling on; a round still running
        `LEASE_SECONDS` later is logged and left, not waited for forever."""
        self._stopping = True
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, running = await asyncio.wait(tasks, timeout=LEASE_SECONDS)
        for task in running:
            log.error("%s did not stop within %.0f s of its cancel; left to end on its own", task.get_name(),
                      LEASE_SECONDS)  # fmt: skip

    async def position(self, kind: str) -> int:
        """The position of the last entry of `kind`'s feed handled (0: none yet)."""
        stored = await self.store.get(f"{self.prefix}{kind}:after")
        return 0 if stored is None else int(stored)

    async def poll(self, definition: JourneyDefinition) -> int:
        """One round: read the entries after the last one handled and start their journeys; returns how
        many entries were handled (0 as well when another engine holds the feed)."""
        feed = definition.feed
        assert feed is not None
        lease = f"{self.prefix}{definition.kind}:lease"
        if not await self.store.set_if_absent(lease, self.holder.encode(), ttl=LEASE_SECONDS):
            return 0
        try:
            return await self._round(definition, feed)
        finally:
            if await self.store.get(lease) == self.holder.encode():
                await self.store.delete(lease)

    async def _follow(self, definition: JourneyDefinition) -> None:
        assert definition.feed is not None
        while not self._stopping:
            await asyncio.sleep(definition.feed.every_seconds)
            if self._stopping:
                return
            try:
                await self.poll(definition)
            except Exception:  # the feed's store or caller failing must not end the loop
                log.exception("feed of %s: a poll failed; trying again", definition.kind)

    async def _round(self, definition: JourneyDefinition, feed: FeedTrigger) -> int:
        after = await self.position(definition.kind)
        result = await self.caller.call(self._call(definition, feed, after))
        if result.outcome != "succeeded":
            log.warning("feed of %s: reading after %d failed: %s", definition.kind, after, result.error_text)
            return 0
        try:
            entries = resolve(feed.items_at, result.payload)
        except MissingValue:
            entries = None
        if not isinstance(entries, list):
            log.error("feed of %s: the answer has no list at %s", definition.kind, feed.items_at)
            return 0
        handled = 0
        for entry in entries:
            position = lookup(feed.position_at, entry)
            if not isinstance(position, int) or isinstance(position, bool) or position <= after:
                reason = f"no position after {after} at {feed.position_at}"
                await self._refuse(definition.kind, None, after, entry, reason)
                continue
            refusal = await self._start(definition, feed, entry)
            if refusal is not None:
                await self._refuse(definition.kind, position, after, entry, refusal)
            after = position
            await self.store.set(f"{self.prefix}{definition.kind}:after", str(after).encode())
            handled += 1
        return handled

    async def _refuse(
        self, kind: str, position: int | None, after: int, entry: JsonValue, reason: str
    ) -> None:
        """Keep the refused entry (before the cursor moves past it) and say so in the log."""
        refusal = RefusedFeedEntry(
            kind=kind, position=position, after=after, reason=reason, entry=kept(entry),
            refused_at=self.journeys.clock.now(),
        )  # fmt: skip
        if await self.refusals.record(refusal):
            log.error("feed of %s: entry %.200r refused: %s", kind, entry, reason)

    def _call(self, definition: JourneyDefinition, feed: FeedTrigger, after: int) -> ServiceCall:
        context: JsonValue = {"feed": {"after": after}}
        key = f"feed.{definition.kind}.{after}.{new_id()}"  # every poll a new read, never a replay
        message_id, transaction_id = derived_ids(key, 1)
        return ServiceCall(
            client=str(definition.client),
            service=str(feed.call.service),
            method=feed.call.method,
            path=render_text(feed.call.path, context),
            query={name: render_text(value, context) for name, value in feed.call.query.items()},
            payload=render(feed.call.payload, context),
            idempotency_key=key,
            message_id=message_id,
            transaction_id=transaction_id,
        )

    async def _start(self, definition: JourneyDefinition, feed: FeedTrigger, entry: JsonValue) -> str | None:
        """Start the entry's journey; why it cannot be started, or None."""
        context: JsonValue = {"item": entry}
        try:
            code = render_text(feed.dossier_code, context)
            inputs = render(feed.inputs, context)
            if not isinstance(inputs, dict):
                raise JourneyError(f"inputs must be a JSON object, got {type(inputs).__name__}")
            received_at = (
                None if feed.received_at is None else _moment(render_text(feed.received_at, context))
            )
            record = await self.journeys.start(definition.kind, inputs, code, received_at=received_at)
        except (MissingValue, JourneyError) as refused:
            return str(refused)
        log.info("feed of %s: journey %s for dossier %s", definition.kind, record.journey_id, code)
        return None


def _moment(text: str) -> datetime:
    """An ISO 8601 time with its UTC offset; InvalidStart otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidStart(f"received_at {text!r} is not an ISO 8601 time") from None
    if moment.utcoffset() is None:
        raise InvalidStart(f"received_at {text!r} has no UTC offset")
    return moment
