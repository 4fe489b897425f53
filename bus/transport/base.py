"""The transport contract: publish, request with a deadline, consume with manual ack/nack.

Every transport (memory, amqp) implements `Transport`; one contract test suite runs on each.
Bodies are bytes (JSON by convention); the transport never interprets them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bus.envelope import new_id

HeaderValue = str | int | float | bool


# Headers every transport sets on a dead-lettered message: why it died, and the queue it died in.
DEATH_REASON_HEADER = "x-death-reason"
ORIGINAL_QUEUE_HEADER = "x-original-queue"
# The values of DEATH_REASON_HEADER.
REASON_DELIVERY_LIMIT = "delivery-limit"
REASON_REJECTED = "rejected"


def dead_letter_queue(queue: str) -> str:
    """The queue where messages of `queue` go once they exhaust their deliveries (or are rejected)."""
    return f"{queue}.dlq"


@dataclass(frozen=True)
class Message:
    """One message on the bus: an opaque body plus the routing metadata every transport carries."""

    body: bytes
    message_id: str = field(default_factory=new_id)
    correlation_id: str = field(default_factory=new_id)
    reply_to: str | None = None
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    content_type: str = "application/json"
    # The model `body` was written from, paired with that very body: an in-process transport hands the
    # message over as it is, so its reader takes the model instead of parsing the bytes again
    # (bus.codec). Never on a wire; a copy with another body no longer matches it.
    written_from: tuple[bytes, object] | None = field(default=None, compare=False, repr=False)


class Delivery(Protocol):
    """A message handed to a consumer; it stays owned by the consumer until acked or nacked."""

    @property
    def message(self) -> Message:
        """The message delivered."""
        ...

    @property
    def delivery_count(self) -> int:
        """1 on first delivery, 2 on the first redelivery, and so on."""
        ...

    async def ack(self) -> None:
        """The work is done: remove the message for good."""
        ...

    async def nack(self, requeue: bool = True) -> None:
        """The work failed: redeliver it (requeue) or dead-letter it now (no requeue)."""
        ...


Handler = Callable[[Delivery], Awaitable[None]]


class Subscription(Protocol):
    """A running consumer; cancelling it stops new deliveries (unacked ones are redelivered)."""

    async def cancel(self) -> None:
        """Stop consuming now: running handlers are cancelled, their unacked messages go back to the queue."""
        ...

    async def drain(self, timeout: float) -> None:
        """Graceful stop: no new deliveries, running handlers get up to `timeout` seconds to finish and
        settle, then whatever is still unsettled is cancelled and requeued as by `cancel`."""
        ...


@runtime_checkable
class Transport(Protocol):
    """A message transport. Queues are durable; a message nacked more than the delivery limit
    (or nacked without requeue) is moved to `dead_letter_queue(queue)`."""

    async def connect(self) -> None:
        """Open connections; idempotent."""
        ...

    async def close(self) -> None:
        """Stop consumers, fail pending requests, close connections."""
        ...

    async def publish(self, queue: str, message: Message) -> None:
        """Deliver `message` to `queue` (a service queue or a reply address), confirmed.
        Raises NoRoute when the queue does not exist."""
        ...

    async def reply(self, address: str, message: Message) -> None:
        """Deliver an answer to a caller's reply address, unconfirmed: a worker records each outcome
        before it answers (a caller that missed the answer is served from that record when it asks
        again), and an address lives no longer than its caller's connection. An answer to an address
        that is gone is dropped."""
        ...

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        """Publish with a reply address and wait for the reply matched by correlation id.
        Raises BusTimeout when none arrives within `timeout` seconds, NoRoute as publish."""
        ...

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        """Deliver `message` to `queue` after at least `delay` seconds, held by the broker (no sleeping
        consumer). RabbitMQ rounds the delay up to a fixed bucket. Raises NoRoute as publish."""
        ...

    async def get(self, queue: str) -> Delivery | None:
        """Take one ready message from `queue` without a consumer (None when empty); it stays unacked,
        and invisible to others, until settled. Lets tools browse a queue: get, then nack(requeue)."""
        ...

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> Subscription:
        """Declare `queue` if needed and call `handler` for each delivery, at most `prefetch`
        unacked at once. The handler must ack or nack; an exception it raises nacks with requeue.
        With `max_length`, a publish finding that many ready messages raises Overloaded."""
        ...
