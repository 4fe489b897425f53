"""RabbitMQ wire details: queue declaration arguments, and contract messages to and from AMQP ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import aio_pika
import aiormq

from bus.envelope import new_id
from bus.transport.base import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_DELIVERY_LIMIT,
    REASON_REJECTED,
    HeaderValue,
    Message,
)

DEAD_LETTER_EXCHANGE = "lgsp.dlx"
DEFAULT_CONTENT_TYPE = "application/json"
PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)
# Headers RabbitMQ adds that the contract expresses otherwise (delivery_count, x-death-reason).
_BROKER_HEADERS = {"x-delivery-count", "x-death"}
_BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
_DEATH_REASONS = {"delivery_limit": REASON_DELIVERY_LIMIT, "rejected": REASON_REJECTED}
# A channel or connection that died under us: the broker requeues what we held, so this is not fatal.
CHANNEL_GONE = (aiormq.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError)


def queue_arguments(queue: str, delivery_limit: int, max_length: int | None = None) -> dict[str, Any]:
    """Declaration arguments of a service queue (quorum, delivery limit, dead-lettering, length bound)."""
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        # RabbitMQ dead-letters once the returns exceed x-delivery-limit; the contract counts
        # deliveries, so `delivery_limit` deliveries means delivery_limit - 1 returns.
        "x-delivery-limit": delivery_limit - 1,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
        # Quorum queues dead-letter at most once by default: a message past its delivery limit is
        # dropped if the DLQ cannot take it at that moment. At least once keeps it until the DLQ
        # confirms; RabbitMQ allows that strategy only together with reject-publish overflow.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    if max_length is not None:
        # reject-publish nacks the publisher's confirm, which publish() turns into Overloaded.
        # A quorum queue refuses a publish only once it is already over x-max-length, so it holds
        # x-max-length + 1; declaring one less makes `max_length` the real bound, as on memory.
        arguments["x-max-length"] = max_length - 1
    return arguments


def retry_queue_name(queue: str, bucket_ms: int) -> str:
    """The retry queue holding messages for `queue` during `bucket_ms` milliseconds."""
    return f"{queue}.retry.{bucket_ms}"


def retry_queue_arguments(queue: str, bucket_ms: int) -> dict[str, Any]:
    """A retry queue: messages expire after `bucket_ms` and are dead-lettered back to `queue`."""
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": bucket_ms,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
        # At-least-once dead-lettering keeps a message until `queue` confirms it (it needs reject-publish).
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def amqp_properties(message: Message, *, reply_to: str | None = None) -> aiormq.spec.Basic.Properties:
    """The AMQP properties carrying `message`'s metadata (persistent); the body travels as it is.
    `reply_to`, when given, is the reply address instead of the message's own (a request's reply
    queue), so a request needs no copy of its message to carry it.

    The default content type and empty headers are left out (`from_amqp` restores them): fewer fields
    to encode and decode per message."""
    return aiormq.spec.Basic.Properties(
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to if reply_to is None else reply_to,
        # A plain dict is passed as it is: pamqp only reads it while marshalling the frame.
        headers=(message.headers if type(message.headers) is dict else dict(message.headers)) or None,
        content_type=None if message.content_type == DEFAULT_CONTENT_TYPE else message.content_type,
        delivery_mode=PERSISTENT,
    )


class AmqpProperties(Protocol):
    """What `from_amqp` reads of a received message: aiormq's Basic.Properties, or an aio-pika message."""

    message_id: str | None
    correlation_id: str | None
    reply_to: str | None
    content_type: str | None

    @property
    def headers(self) -> Mapping[str, Any] | None: ...


def from_amqp(body: bytes, properties: AmqpProperties) -> Message:
    """The contract's `Message` for a received AMQP message, broker death headers translated."""
    return Message(
        body=body,
        message_id=properties.message_id or new_id(),
        correlation_id=properties.correlation_id or new_id(),
        reply_to=properties.reply_to,
        headers=_contract_headers(properties.headers or {}),
        content_type=properties.content_type or DEFAULT_CONTENT_TYPE,
    )


def _contract_headers(raw: Mapping[str, Any]) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    for key, value in raw.items():
        if key in _BROKER_HEADERS or key.startswith(_BROKER_HEADER_PREFIXES):
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str | int | float | bool):
            headers[key] = value
    reason, queue = _latest_death(raw)
    if reason is not None:
        headers[DEATH_REASON_HEADER] = _DEATH_REASONS.get(reason, reason)
    if queue is not None:
        headers[ORIGINAL_QUEUE_HEADER] = queue
    return headers


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def _latest_death(raw: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Reason and queue of the most recent dead-lettering: x-death lists it first, whereas the
    x-first-death-* headers would name a retry queue's expiry long after the message left it."""
    deaths = raw.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        latest = deaths[0]
        reason, queue = _text(latest.get("reason")), _text(latest.get("queue"))
    else:
        reason, queue = _text(raw.get("x-first-death-reason")), _text(raw.get("x-first-death-queue"))
    if reason == "expired":
        return None, None  # a retry queue's TTL sending the message back is no death
    return reason, queue


def delivery_count(headers: Mapping[str, Any] | None) -> int:
    """1 on first delivery, 2 on the first redelivery, … (from a quorum queue's x-delivery-count)."""
    returns = (headers or {}).get("x-delivery-count")
    return returns + 1 if isinstance(returns, int) else 1
