"""A subscriber on every event queue the catalog declares: logs each event and keeps the latest.

It is the first consumer of provider events (payment confirmations, parcel status changes) and, by
consuming, keeps their durable queues declared. A queue hands each event to one of its consumers, so
other readers of the same types (the journey engine's event waits) are given them as `listeners`,
called with each event before it is acked (a listener that fails has the event redelivered).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence

from pydantic import ValidationError

from bus.events import BusEvent, decode_event, event_queue
from bus.transport.base import Delivery, Subscription, Transport

log = logging.getLogger(__name__)


class EventRecorder:
    """Consumes the queues of `event_types`, logging and keeping the last `keep` events."""

    def __init__(
        self,
        transport: Transport,
        event_types: Iterable[str],
        *,
        keep: int = 1000,
        listeners: Sequence[Callable[[BusEvent], Awaitable[object]]] = (),
    ) -> None:
        self.transport = transport
        self.event_types = list(event_types)
        self.listeners = list(listeners)
        self.recent: deque[BusEvent] = deque(maxlen=keep)
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        """Subscribe to every event type's queue."""
        for event_type in self.event_types:
            self._subscriptions.append(await self.transport.consume(event_queue(event_type), self._on_event))

    async def stop(self) -> None:
        """Unsubscribe; unacked events return to their queues."""
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()

    async def _on_event(self, delivery: Delivery) -> None:
        try:
            event = decode_event(delivery.message)
        except ValidationError as exc:
            log.error("unreadable event %s parked in the DLQ: %s", delivery.message.message_id, exc)
            await delivery.nack(requeue=False)
            return
        log.info("event %s from %s: %s", event.type, event.source, event.data)
        for listener in self.listeners:
            await listener(event)  # raising: the handler's nack redelivers the event
        self.recent.append(event)
        await delivery.ack()
