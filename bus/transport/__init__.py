"""Message transports: the `Transport` contract, its memory and RabbitMQ implementations, `make_transport`."""

from __future__ import annotations

from urllib.parse import urlparse

from bus.broker_urls import AMQP_SCHEMES
from bus.transport.amqp import AmqpTransport
from bus.transport.base import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_DELIVERY_LIMIT,
    REASON_REJECTED,
    Delivery,
    Handler,
    HeaderValue,
    Message,
    Subscription,
    Transport,
    dead_letter_queue,
)
from bus.transport.memory import MemoryBroker, MemoryTransport

__all__ = [
    "DEATH_REASON_HEADER",
    "ORIGINAL_QUEUE_HEADER",
    "REASON_DELIVERY_LIMIT",
    "REASON_REJECTED",
    "AmqpTransport",
    "Delivery",
    "Handler",
    "HeaderValue",
    "MemoryBroker",
    "MemoryTransport",
    "Message",
    "Subscription",
    "Transport",
    "dead_letter_queue",
    "make_transport",
]


def make_transport(url: str | None, *, delivery_limit: int = 5, connection_name: str = "lgsp") -> Transport:
    """The transport a URL names: None or "memory://" → memory, "amqp://"/"amqps://" → RabbitMQ (several
    comma-separated: a cluster's nodes, see bus.broker_urls; a bad entry raises BrokerUrlError)."""
    if url is None or url == "memory://":
        return MemoryTransport(delivery_limit=delivery_limit)
    if urlparse(url).scheme in AMQP_SCHEMES:
        return AmqpTransport(url, delivery_limit=delivery_limit, connection_name=connection_name)
    raise ValueError(f"unsupported transport URL {url!r}: use memory://, amqp:// or amqps://")
