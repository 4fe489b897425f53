"""One record per transaction, handed to every sink (transaction log, operational monitoring).

The four timestamps follow X-Road's operational monitoring: request in (gateway received it),
request out (put on the bus), response in (reply back from the bus), response out (sent to the caller).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field


class TransactionFacts(BaseModel):
    """The parties, timings and outcome of one call: what every view of a transaction shares.

    Neither the citizens it is about nor its bodies' hashes: operational monitoring keeps only these.
    """

    transaction_id: str = Field(
        description="the caller's X-Road-Id (or one the gateway made), unique per client; the bus's own id "
        "for the call, in worker logs and dead letters, is scoped_transaction_id(client, transaction_id)"
    )
    message_id: str | None = Field(
        None, description="the request envelope's message id, as the worker saw it"
    )
    client: str | None = Field(None, description="client id, when the caller identified itself")
    service: str | None = Field(None, description="service id, when it parsed")
    method: str = "POST"
    path: str = ""
    user_id: str | None = None
    issue: str | None = None
    trace_id: str | None = None
    worker: str | None = None
    request_in: datetime
    request_out: datetime | None = None
    response_in: datetime | None = None
    response_out: datetime
    status: int
    succeeded: bool
    fault_type: str | None = None
    request_size: int = 0
    response_size: int = 0

    @property
    def duration_ms(self) -> float:
        """Time from request in to response out."""
        return (self.response_out - self.request_in).total_seconds() * 1000


class TransactionRecord(TransactionFacts):
    """What the bus knows of one call once it has answered, successful or not."""

    subjects: tuple[str, ...] = Field((), description="citizen ids the request is about")
    request_sha256: str
    response_sha256: str


@runtime_checkable
class TransactionSink(Protocol):
    """Receives every finished transaction's record."""

    async def record(self, record: TransactionRecord) -> None:
        """Keep `record`; called once per transaction before the caller gets its answer."""
        ...
