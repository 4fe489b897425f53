"""What a dead letter carries: headers set by the worker (or the broker) and their parsed view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from bus.codec import decode_envelope
from bus.dlq.effect import EFFECT_HEADER, Effect, effect_from_header, effect_of_failure
from bus.transport.base import DEATH_REASON_HEADER, ORIGINAL_QUEUE_HEADER, HeaderValue, Message

ERROR_TYPE_HEADER = "x-lgsp-error-type"
ERROR_MESSAGE_HEADER = "x-lgsp-error-message"
ATTEMPTS_HEADER = "x-lgsp-attempts"
DEAD_AT_HEADER = "x-lgsp-dead-lettered-at"
DEAD_BY_HEADER = "x-lgsp-dead-lettered-by"

REASON_RETRIES_EXHAUSTED = "retries-exhausted"
REASON_UNPARSEABLE = "unparseable"
MAX_ERROR_MESSAGE = 1_000


def dead_letter_headers(
    message: Message,
    *,
    queue: str,
    reason: str,
    error_type: str,
    error_message: str,
    attempts: int,
    at: datetime,
    by: str,
) -> dict[str, HeaderValue]:
    """The message's headers plus why, where from, after how many attempts, when and by whom it died,
    and whether its work can have had an effect (dlq/effect.py)."""
    return {
        **message.headers,
        EFFECT_HEADER: effect_of_failure(message.headers, error_type),
        DEATH_REASON_HEADER: reason,
        ORIGINAL_QUEUE_HEADER: queue,
        ERROR_TYPE_HEADER: error_type,
        ERROR_MESSAGE_HEADER: error_message[:MAX_ERROR_MESSAGE],
        ATTEMPTS_HEADER: attempts,
        DEAD_AT_HEADER: at.isoformat(),
        DEAD_BY_HEADER: by,
    }


class DeadLetter(BaseModel):
    """One dead letter as `lgsp dlq` shows it; fields the broker did not set are None."""

    message_id: str
    correlation_id: str  # the bus's transaction id, scoped to the client (see scoped_transaction_id)
    client: str | None = None
    caller_transaction_id: str | None = Field(None, description="the caller's X-Road-Id, as in its records")
    queue: str | None
    reason: str | None
    error_type: str | None
    error_message: str | None
    attempts: int | None
    dead_lettered_at: datetime | None
    dead_lettered_by: str | None
    effect: Effect = "unknown"  # whether the work reached the provider: happened / none / unknown
    service: str | None
    issue: str | None
    body_size: int

    @classmethod
    def of(cls, message: Message) -> DeadLetter:
        """Read a dead-lettered message (parsing its envelope when it is one)."""
        headers = message.headers
        service = issue = client = caller_id = None
        try:
            envelope = decode_envelope(message)
            service, issue = str(envelope.service), envelope.issue
            client, caller_id = str(envelope.client), envelope.caller_transaction_id
        except ValidationError:
            service = _text(headers.get("x-service"))
        attempts = headers.get(ATTEMPTS_HEADER)
        at = _text(headers.get(DEAD_AT_HEADER))
        return cls(
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            client=client,
            caller_transaction_id=caller_id,
            queue=_text(headers.get(ORIGINAL_QUEUE_HEADER)),
            reason=_text(headers.get(DEATH_REASON_HEADER)),
            error_type=_text(headers.get(ERROR_TYPE_HEADER)),
            error_message=_text(headers.get(ERROR_MESSAGE_HEADER)),
            attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else None,
            dead_lettered_at=datetime.fromisoformat(at) if at else None,
            dead_lettered_by=_text(headers.get(DEAD_BY_HEADER)),
            effect=effect_from_header(headers.get(EFFECT_HEADER)) or "unknown",
            service=service,
            issue=issue,
            body_size=len(message.body),
        )


def _text(value: HeaderValue | None) -> str | None:
    return value if isinstance(value, str) else None
