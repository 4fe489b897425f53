"""Envelopes and replies to and from transport messages (JSON on the wire).

The bodies are written by the models' own serializers straight to bytes: `model_dump_json` writes the
same bytes, then decodes them to text that `.encode()` turns back into bytes (≈ a third of the cost).
They are read by the models' own validators, without `model_validate_json`'s Python layer (≈ 10 %).
"""

from __future__ import annotations

from bus.envelope import Envelope, Reply
from bus.transport.base import Message

_ENVELOPE_JSON = Envelope.__pydantic_serializer__
_REPLY_JSON = Reply.__pydantic_serializer__
_ENVELOPE_READER = Envelope.__pydantic_validator__
_REPLY_READER = Reply.__pydantic_validator__


def envelope_message(envelope: Envelope, *, reply_to: str | None = None) -> Message:
    """The transport message carrying `envelope`."""
    return Message(
        body=_ENVELOPE_JSON.to_json(envelope),
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        reply_to=reply_to,
        headers={"traceparent": envelope.trace.traceparent, "x-service": str(envelope.service)},
    )


def reply_message(reply: Reply) -> Message:
    """The transport message carrying `reply`, matched to its request by correlation id."""
    return Message(
        body=_REPLY_JSON.to_json(reply),
        message_id=reply.message_id,
        correlation_id=reply.correlation_id,
    )


def decode_envelope(message: Message) -> Envelope:
    """Parse an envelope; raises pydantic.ValidationError on a malformed body."""
    envelope: Envelope = _ENVELOPE_READER.validate_json(message.body)
    return envelope


def decode_reply(message: Message) -> Reply:
    """Parse a reply; raises pydantic.ValidationError on a malformed body."""
    reply: Reply = _REPLY_READER.validate_json(message.body)
    return reply
