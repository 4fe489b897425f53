"""What is known of one `/r1` call as it is served, and the TransactionRecord it becomes once answered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bus.envelope import Envelope, Reply, utc_now
from bus.transaction import TransactionRecord
from bus.transport.base import Message

# Set in the ASGI scope's state by whatever records the call (the ServiceRouter), so the gateway's
# outermost recorder knows a call it saw answered needs no record of its own.
_RECORDED = "lgsp.call_recorded"
# The record's validator called on its values without the model's Python `__init__` layer, which adds
# half again to pydantic-core's own work (38.4k → 25.1k instructions under callgrind).
_RECORD_READER = TransactionRecord.__pydantic_validator__


def mark_recorded(scope: MutableMapping[str, Any]) -> None:
    """Note in `scope` that this call's record is taken care of."""
    scope.setdefault("state", {})[_RECORDED] = True


def is_recorded(scope: MutableMapping[str, Any]) -> bool:
    """Whether `mark_recorded` was called for this call (on `scope` or a copy sharing its state)."""
    return bool(scope.get("state", {}).get(_RECORDED))


@dataclass
class CallFacts:
    """What is known of a call so far; becomes its TransactionRecord."""

    transaction_id: str
    request_in: datetime
    method: str
    body: bytes = b""
    envelope: Envelope | None = None
    client: str | None = None
    service: str | None = None
    request_out: datetime | None = None
    response_in: datetime | None = None
    worker: str | None = None
    subjects: tuple[str, ...] = field(default_factory=tuple)
    reply: Reply | None = None  # the worker's, once it arrived
    # Set when an async call took over: its background task records and releases the slot.
    handed_off: bool = False
    # The outcome of a request whose publish was still unconfirmed at its deadline, to follow.
    late_outcome: Awaitable[Message] | None = None

    def record(self, status: int, body: bytes) -> TransactionRecord:
        """The record of this call answered with `status` and `body`."""
        envelope = self.envelope
        fault_type = fault_type_of(status, body)
        record: TransactionRecord = _RECORD_READER.validate_python(
            {
                "transaction_id": self.transaction_id,
                "message_id": envelope.message_id if envelope else None,
                "client": self.client,
                "service": self.service,
                "method": self.method,
                "path": envelope.path if envelope else "",
                "user_id": envelope.user_id if envelope else None,
                "issue": envelope.issue if envelope else None,
                "subjects": self.subjects,
                "trace_id": envelope.trace.trace_id if envelope else None,
                "worker": self.worker,
                "request_in": self.request_in,
                "request_out": self.request_out,
                "response_in": self.response_in,
                "response_out": utc_now(),
                "status": status,
                "succeeded": fault_type is None,
                "fault_type": fault_type,
                "request_size": len(self.body),
                "response_size": len(body),
                "request_sha256": hashlib.sha256(self.body).hexdigest(),
                "response_sha256": hashlib.sha256(body).hexdigest(),
            }
        )
        return record


def fault_type_of(status: int, body: bytes) -> str | None:
    """The taxonomy type of an error answer, None for a success."""
    if status < 400:
        return None
    try:
        found = json.loads(body).get("type")
    except (ValueError, AttributeError):
        found = None
    return found if isinstance(found, str) else "Server.Provider.InternalError"
