"""Bus events: things that happened later (a payment confirmed, a parcel moved), published for consumers.

Each event type has its own durable queue, `lgsp.events.<type>` (e.g. `lgsp.events.payment.confirmed`),
which consumers read with `transport.consume(event_queue(type), handler)` and `decode_event`.
The transports declare a queue when it is first consumed and refuse to publish to an undeclared one
(NoRoute): start the consumers before the publishers. `publish` lets NoRoute through, so that the
caller (e.g. a provider's callback) is answered with a failure and the provider delivers again later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from bus.envelope import TraceContext, utc_now
from bus.transport.base import Message, Transport

EVENT_QUEUE_PREFIX = "lgsp.events."
EVENT_TYPE_HEADER = "x-event-type"
# Fixed namespace: the same de-duplication key always yields the same event id, in every process.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4f5b-9d3e-2c7b1a9e4d10")

EventType = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
        max_length=100,
        description='dotted lower-case name, e.g. "payment.confirmed"',
    ),
]


def event_id_for(key: str) -> str:
    """A stable event id for a de-duplication key (uuid5), so a re-published event keeps its id."""
    return uuid.uuid5(_EVENT_ID_NAMESPACE, key).hex


def event_queue(event_type: str) -> str:
    """The durable queue carrying events of `event_type`."""
    return EVENT_QUEUE_PREFIX + event_type


class BusEvent(BaseModel):
    """Something that happened at a provider, in canonical form; JSON on the wire."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64)
    type: EventType
    source: str = Field(min_length=1, max_length=255, description="the service the event follows up")
    occurred_at: datetime = Field(default_factory=utc_now)
    trace: TraceContext = Field(default_factory=TraceContext.start)
    data: JsonValue = None

    @property
    def queue(self) -> str:
        """The queue this event is published to."""
        return event_queue(self.type)


def encode_event(event: BusEvent) -> Message:
    """The transport message carrying `event` (message id = event id, for consumers' de-duplication)."""
    return Message(
        body=event.model_dump_json().encode(),
        message_id=event.event_id,
        correlation_id=event.event_id,
        headers={EVENT_TYPE_HEADER: event.type},
    )


def decode_event(message: Message) -> BusEvent:
    """The event a message carries; pydantic's ValidationError when it is not one."""
    return BusEvent.model_validate_json(message.body)


@runtime_checkable
class EventPublisher(Protocol):
    """Where events go."""

    async def publish(self, event: BusEvent) -> None:
        """Publish `event`, confirmed; raise a `BusError` when it could not be."""
        ...


class TransportEventPublisher:
    """Publishes each event to its type's queue on a `Transport` (memory or amqp)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def publish(self, event: BusEvent) -> None:
        """Publish to `event_queue(event.type)`; NoRoute when no consumer has declared that queue yet."""
        await self.transport.publish(event.queue, encode_event(event))
