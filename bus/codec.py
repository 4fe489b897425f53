"""Envelopes and replies to and from transport messages (JSON on the wire).

The bodies are written by the models' own serializers straight to bytes: `model_dump_json` writes the
same bytes, then decodes them to text that `.encode()` turns back into bytes (≈ a third of the cost).
They are read by the models' own validators, without `model_validate_json`'s Python layer (≈ 10 %).
A message also carries the model its body was written from (`Message.written_from`): where it arrives
as it was sent (the in-process transport), the reader takes that model and parses nothing. Envelopes
and replies are frozen, so the writer and the reader sharing one cannot see each other change it.
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
    body = _ENVELOPE_JSON.to_json(envelope)
    return Message(
        body=body,
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        reply_to=reply_to,
        headers={"traceparent": envelope.trace.traceparent, "x-service": str(envelope.service)},
        written_from=(body, envelope),
    )


def reply_message(reply: Reply) -> Message:
    """The transport message carrying `reply`, matched to its request by correlation id."""
    body = _REPLY_JSON.to_json(reply)
    return Message(
        body=body,
        message_id=reply.message_id,
        correlation_id=reply.correlation_id,
        written_from=(body, reply),
    )


def decode_envelope(message: Message) -> Envelope:
    """Parse an envelope; raises pydantic.ValidationError on a malformed body."""
    written = message.written_from
    if written is not None and written[0] is message.body and type(written[1]) is Envelope:
        return written[1]
    envelope: Envelope = _ENVELOPE_READER.validate_json(message.body)
    return envelope


def decode_reply(message: Message) -> Reply:
    """Parse a reply; raises pydantic.ValidationError on a malformed body."""
    written = message.written_from
    if written is not None and written[0] is message.body and type(written[1]) is Reply:
        return written[1]
    reply: Reply = _REPLY_READER.validate_json(message.body)
    return reply
