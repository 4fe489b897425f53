"""Envelopes and replies to and from transport messages (JSON on the wire)."""

from __future__ import annotations

from bus.envelope import Envelope, Reply
from bus.transport.base import Message


def envelope_message(envelope: Envelope, *, reply_to: str | None = None) -> Message:
    """The transport message carrying `envelope`."""
    return Message(
        body=envelope.model_dump_json().encode(),
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        reply_to=reply_to,
        headers={"traceparent": envelope.trace.traceparent, "x-service": str(envelope.service)},
    )


def reply_message(reply: Reply) -> Message:
    """The transport message carrying `reply`, matched to its request by correlation id."""
    return Message(
        body=reply.model_dump_json().encode(),
        message_id=reply.message_id,
        correlation_id=reply.correlation_id,
    )


def decode_envelope(message: Message) -> Envelope:
    """Parse an envelope; raises pydantic.ValidationError on a malformed body."""
    return Envelope.model_validate_json(message.body)


def decode_reply(message: Message) -> Reply:
    """Parse a reply; raises pydantic.ValidationError on a malformed body."""
    return Reply.model_validate_json(message.body)
