"""How a journey reaches a service: one `ServiceCaller.call`, an ordinary bus transaction.

The engine knows only this protocol; the gateway's `BusServiceCaller` implements it through the same
access rights, quotas, transaction log and monitoring as an HTTP call, and the workers' retries and
circuit breakers. Ids are derived, not drawn: the same idempotency key and attempt always give the same
message id and transaction id, so a call sent again after a worker died is answered from the worker's
record of it instead of reaching the provider twice.
"""

from __future__ import annotations

import hashlib
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, JsonValue

from bus.errors import ErrorBody

Outcome = Literal["succeeded", "failed", "unknown"]


def derived_ids(idempotency_key: str, attempt: int) -> tuple[str, str]:
    """(message id, transaction id) for attempt `attempt` of the call keyed `idempotency_key`."""
    seed = f"{idempotency_key}#{attempt}".encode()
    return (
        hashlib.sha256(b"message:" + seed).hexdigest()[:32],
        hashlib.sha256(b"transaction:" + seed).hexdigest()[:32],
    )


class ServiceCall(BaseModel):
    """One call as a client of the bus would make it, with its ids fixed by the caller."""

    client: str
    service: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = ""
    query: dict[str, str] = Field(default_factory=dict)
    payload: JsonValue = None
    issue: str | None = Field(None, description="the dossier code (maHoSo)")
    idempotency_key: str
    message_id: str
    transaction_id: str


class CallResult(BaseModel):
    """What became of a call: succeeded with a payload, failed with an error, or unknown (no answer)."""

    outcome: Outcome
    transaction_id: str
    status: int
    payload: JsonValue = None
    error: ErrorBody | None = None
    retryable: bool = False
    retry_after: float | None = None

    @property
    def error_text(self) -> str:
        """`type: message` of the error, or the outcome."""
        return f"{self.error.type}: {self.error.message}" if self.error is not None else self.outcome


@runtime_checkable
class ServiceCaller(Protocol):
    """Makes a service call as a bus client, without HTTP."""

    async def call(self, call: ServiceCall) -> CallResult:
        """Make `call`; every failure comes back as a CallResult, never as an exception."""
        ...
