"""How many messages wait in a service's queue and its dead-letter queue, where the transport can tell.

The Transport contract has no depth query (a worker never needs one), so this reads what each known
transport exposes: the memory broker's queues, or a passive declare on RabbitMQ (which reports the
ready count without touching the queue). Any other transport answers None: shown as unknown.
"""

from __future__ import annotations

import logging
from typing import Protocol

import aiormq

from bus.errors import BusError
from bus.transport.amqp import AmqpTransport
from bus.transport.base import Transport, dead_letter_queue
from bus.transport.memory import MemoryTransport

log = logging.getLogger(__name__)


class QueueDepths(Protocol):
    """Reads the number of ready messages in a queue (None when it cannot tell)."""

    async def depth(self, queue: str) -> int | None:
        """Ready messages in `queue`; None when unknown or the queue does not exist."""
        ...


class MemoryQueueDepths:
    """Depths of the memory broker's queues."""

    def __init__(self, transport: MemoryTransport) -> None:
        self._broker = transport.broker

    async def depth(self, queue: str) -> int | None:
        """Ready messages in `queue`; None when it does not exist (as on RabbitMQ)."""
        return self._broker.depth(queue) if self._broker.declared(queue) else None


class AmqpQueueDepths:
    """Depths from RabbitMQ by passive declare, on a channel kept for it."""

    def __init__(self, transport: AmqpTransport) -> None:
        self._transport = transport

    async def depth(self, queue: str) -> int | None:
        """Ready messages in `queue`; None when it does not exist or the broker is unreachable."""
        try:
            # A passive declare of a missing queue closes its channel: one short-lived channel each.
            async with await self._transport.connection.channel(publisher_confirms=False) as channel:
                declared = await channel.declare_queue(queue, passive=True)
        except (aiormq.exceptions.AMQPError, OSError, BusError):
            return None
        count = declared.declaration_result.message_count
        return int(count) if count is not None else None


class UnknownQueueDepths:
    """A transport that cannot tell."""

    async def depth(self, queue: str) -> int | None:
        """Always unknown."""
        return None


def queue_depths(transport: Transport) -> QueueDepths:
    """The depth reader that fits `transport`."""
    if isinstance(transport, MemoryTransport):
        return MemoryQueueDepths(transport)
    if isinstance(transport, AmqpTransport):
        return AmqpQueueDepths(transport)
    return UnknownQueueDepths()


async def service_queues(depths: QueueDepths, queue: str) -> tuple[int | None, int | None]:
    """(ready, dead letters) of a service queue."""
    return await depths.depth(queue), await depths.depth(dead_letter_queue(queue))
