"""Bus events that end journeys' waits: each event is kept, keyed by the values its waits match on, and
the journey waiting for it (if any yet) gets a tick. A wait that begins after its event arrived finds
the kept copy, so the order in which the event and the wait come does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from bus.events import BusEvent
from bus.flows.journey_book import JourneyBook
from bus.flows.journey_model import JourneyDefinition, WaitStep
from bus.flows.journey_paths import found, lookup
from bus.flows.journey_ticks import JourneyTick, TickPublisher


def awaited_events(definitions: Iterable[JourneyDefinition]) -> dict[str, set[str]]:
    """Event type → the pointers into its data that some wait matches on."""
    pointers: dict[str, set[str]] = {}
    for definition in definitions:
        for step in definition.steps:
            if isinstance(step, WaitStep):
                for event_type in step.event:
                    pointers.setdefault(event_type, set()).add(step.match.at)
    return pointers


class EventWaits:
    """Hands arriving events to the journeys that wait for them."""

    def __init__(
        self, book: JourneyBook, ticks: TickPublisher, definitions: Iterable[JourneyDefinition]
    ) -> None:
        self.book = book
        self.ticks = ticks
        self.pointers = awaited_events(definitions)

    @property
    def event_types(self) -> list[str]:
        """The event types some journey waits for."""
        return sorted(self.pointers)

    async def deliver(self, event: BusEvent) -> int:
        """Keep `event` under each key a wait may look for it by; tick its waiters. How many were ticked."""
        ticked = 0
        for pointer in sorted(self.pointers.get(event.type, ())):
            value = lookup(pointer, event.data)
            if not found(value) or not isinstance(value, str | int) or isinstance(value, bool):
                continue
            key = str(value)
            await self.book.record_event(key, event)
            wait = await self.book.wait_for(event.type, key)
            if wait is not None:
                tick = JourneyTick(
                    journey_id=wait.journey_id, step=wait.step, event_type=event.type, event_key=key
                )
                await self.ticks.now(tick)
                ticked += 1
        return ticked
