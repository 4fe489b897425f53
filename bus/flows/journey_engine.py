"""The journey engine: a bus worker that advances journeys, one tick at a time, from the Store.

Per tick: read the journey; if another worker holds it (an unexpired lease), put the tick back for
later; else take the lease by compare-and-set and run (journey_run) until the journey waits on a timer
or an event or ends; then give the lease up and ack. A worker killed mid-run leaves its tick unacked
(the broker redelivers it) and its lease to expire; the next worker resumes from the last state written
and sends any call that was out again with the same ids, which the bus's workers answer from their
record: the step's effect happens once. Several engines may consume the same queue.

A tick whose run fails for want of the engine's own infrastructure (the broker or the Store refusing:
BusUnavailable, Overloaded) is published again after a back-off and acked, as a worker defers a
service message: a short outage must not use up the tick's deliveries and leave its journey stalled
in the dead-letter queue. Any other failure (a bug) is redelivered and dead-lettered at the limit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from pydantic import ValidationError

from bus.envelope import new_id
from bus.errors import BusUnavailable, Overloaded
from bus.events import decode_event, event_queue
from bus.flows.clock import Clock
from bus.flows.journey_book import JourneyBook
from bus.flows.journey_events import EventWaits
from bus.flows.journey_model import JourneyDefinition
from bus.flows.journey_run import JourneyRun, LostJourney, Services
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_ticks import JourneyTick, TickPublisher, decode_tick, is_due
from bus.flows.service_calls import ServiceCaller
from bus.reliability.backoff import doubled_delay
from bus.store.base import Store
from bus.transport.base import Delivery, Subscription, Transport
from vn_calendar import WorkingCalendar

log = logging.getLogger(__name__)

# How many times a tick has been put back for the engine's infrastructure troubles (its back-off grows).
DEFERRALS_HEADER = "x-lgsp-tick-deferrals"


def trouble_delay(deferrals: int, settings: JourneySettings) -> float:
    """Seconds before a tick deferred `deferrals` times already is looked at again: `busy_retry_seconds`
    doubled each time, capped at `deferral_seconds`."""
    return doubled_delay(settings.busy_retry_seconds, settings.deferral_seconds, deferrals + 1)


class JourneyKindNotServed(LookupError):
    """A stored journey of a kind this engine has no definition of (a rolling deployment?)."""


def definitions_by_kind(definitions: Iterable[JourneyDefinition]) -> dict[str, JourneyDefinition]:
    """The definitions keyed by kind; ValueError when two share a kind."""
    found: dict[str, JourneyDefinition] = {}
    for definition in definitions:
        if definition.kind in found:
            raise ValueError(f"journey kind {definition.kind!r} is defined twice")
        found[definition.kind] = definition
    return found


class JourneyEngine:
    """Consumes the journey queue (and the events journeys wait for) and advances journeys."""

    def __init__(
        self,
        definitions: Iterable[JourneyDefinition],
        *,
        store: Store,
        transport: Transport,
        caller: ServiceCaller,
        clock: Clock,
        calendar: WorkingCalendar,
        settings: JourneySettings | None = None,
        name: str = "journeys",
        consume_events: bool = True,
    ) -> None:
        """`consume_events=False` when another consumer of the event queues (an EventRecorder) hands
        the events to `self.events.deliver` instead: a queue gives each event to one consumer only."""
        self.consume_events = consume_events
        self.definitions: Mapping[str, JourneyDefinition] = definitions_by_kind(definitions)
        self.settings = JourneySettings() if settings is None else settings
        self.store = store
        self.transport = transport
        self.book = JourneyBook(
            store, prefix=self.settings.store_prefix, event_ttl=self.settings.event_retention_seconds
        )
        self.ticks = TickPublisher(
            transport, self.settings.queue, clock, recheck_seconds=self.settings.timer_recheck_seconds
        )
        self.events = EventWaits(self.book, self.ticks, self.definitions.values())
        self.services = Services(
            book=self.book,
            caller=caller,
            ticks=self.ticks,
            clock=clock,
            calendar=calendar,
            settings=self.settings,
            holder=f"{name}/{new_id()}",
        )
        self.name = name
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        """Consume the journey queue and the queues of awaited events (this declares them)."""
        await self.store.connect()
        await self.transport.connect()
        self._subscriptions.append(
            await self.transport.consume(self.settings.queue, self._on_tick, prefetch=self.settings.prefetch)
        )
        for event_type in self.events.event_types if self.consume_events else ():
            self._subscriptions.append(await self.transport.consume(event_queue(event_type), self._on_event))
        log.info("journey engine %s serving %d kind(s)", self.name, len(self.definitions))

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Graceful stop: runs in progress get `drain_seconds`, then their ticks go back to the queue."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.drain(drain_seconds)

    async def _on_tick(self, delivery: Delivery) -> None:
        try:
            tick = decode_tick(delivery.message)
        except ValidationError as exc:
            log.error("unreadable journey tick %s parked in the DLQ: %s", delivery.message.message_id, exc)
            await delivery.nack(requeue=False)
            return
        try:
            await self.advance(tick)
        except (BusUnavailable, Overloaded) as trouble:
            await self._defer(delivery, trouble)
            return
        await delivery.ack()

    async def _defer(self, delivery: Delivery, trouble: BusUnavailable | Overloaded) -> None:
        """Publish the tick again after a back-off, then ack it: its deliveries stay unspent. Should the
        publish fail too (the broker is gone), that error requeues the tick as any failure does."""
        message = delivery.message
        deferrals = message.headers.get(DEFERRALS_HEADER)
        count = deferrals if isinstance(deferrals, int) else 0
        delay = trouble_delay(count, self.settings)
        log.warning(
            "journey tick %s deferred %.2f s (%s: %s)",
            message.message_id,
            delay,
            type(trouble).__name__,
            trouble,
        )
        headers = {**message.headers, DEFERRALS_HEADER: count + 1}
        await self.transport.publish_delayed(self.settings.queue, replace(message, headers=headers), delay)
        await delivery.ack()

    async def _on_event(self, delivery: Delivery) -> None:
        try:
            event = decode_event(delivery.message)
        except ValidationError as exc:
            log.error("unreadable event %s parked in the DLQ: %s", delivery.message.message_id, exc)
            await delivery.nack(requeue=False)
            return
        await self.events.deliver(event)
        await delivery.ack()

    async def advance(self, tick: JourneyTick) -> None:
        """Take the journey's lease and advance it; put the tick back if another worker holds it."""
        stored = await self.book.load(tick.journey_id)
        if stored is None:
            log.warning("tick for unknown journey %s dropped", tick.journey_id)
            return
        state = stored.state
        if state.terminal and not state.leased(time.time()):
            return  # a parked journey an operator is resuming is held: its tick waits for the resume
        if tick.timer is not None:
            timer = state.timers.get(tick.timer)
            if timer is not None and not is_due(timer, self.services.clock):
                # Not yet (a bucket shorter than the wait, or a manual clock): arm again, state untouched.
                await self.ticks.arm(state.journey_id, timer)
                return
            # A timer no longer there was fired by a run that may have died right after (its tick is
            # this one, redelivered): the journey is looked at all the same, or its call would be orphaned.
        held_for = state.lease_until - time.time()
        if state.lease_holder is not None and held_for > 0:
            # Looked at again soon, not when the lease runs out: a live holder gives it back within
            # milliseconds, and waiting out the lease held every other branch of a fan-out (their polls,
            # deadlines) for a whole lease (1.5 working days under a clock compressed to 1 s a day).
            await self.ticks.after(tick, min(held_for, self.settings.busy_retry_seconds))
            return
        definition = self.definitions.get(state.kind)
        if definition is None:
            raise JourneyKindNotServed(
                f"journey {state.journey_id} is of kind {state.kind!r}, not defined here"
            )
        # A holder per run, not per engine: two ticks of one journey on one engine do not run at once.
        services = replace(self.services, holder=f"{self.services.holder}/{new_id()[:8]}")
        run = JourneyRun(definition, stored, services)
        try:
            await run.commit()  # takes the lease
            await run.advance(tick)
        except LostJourney:
            # Another run wrote first (it held the lease, or took over an expired one): it carries the
            # journey on. The tick goes back all the same: it costs little, and it may carry a timer.
            log.info("journey %s was advanced by another run; tick put back", tick.journey_id)
            await self.ticks.after(tick, self.settings.busy_retry_seconds)
            return
        except Exception:
            with contextlib.suppress(Exception):  # the tick is redelivered; let it find the journey free
                await run.release()
            raise
        await run.release()
