"""What travels on the bus: the request envelope and its reply, both JSON on the wire."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from os import urandom
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from bus.errors import ErrorBody
from bus.identifiers import ClientId, ServiceId


def new_id() -> str:
    """A fresh message or transaction id: 128 random bits as 32 hex digits."""
    # Same shape as uuid4().hex at a third of the cost; nothing reads a UUID version out of it. What
    # secrets.token_hex(16) returns, without its three Python calls down to os.urandom.
    return urandom(16).hex()


def scoped_transaction_id(client: str, caller_id: str) -> str:
    """The bus's transaction id (32 hex digits) for the call `client` made under its X-Road-Id `caller_id`.

    A caller's X-Road-Id is unique only among that caller's own calls (X-Road's rule); pending replies,
    provider request codes, dead letters and worker logs go by this id, so two clients choosing the
    same X-Road-Id never meet, and neither can aim at the other's id."""
    return hashlib.sha256(f"{client}\n{caller_id}".encode()).hexdigest()[:32]


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class TraceContext(BaseModel):
    """W3C trace context (https://www.w3.org/TR/trace-context/), carried across every hop."""

    model_config = ConfigDict(frozen=True)

    traceparent: str = Field(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
    tracestate: str | None = None

    @classmethod
    def start(cls) -> TraceContext:
        """A new trace with a new root span."""
        ids = urandom(24).hex()  # the trace id and the span id from one read of the system's randomness
        return cls(traceparent=f"00-{ids[:32]}-{ids[32:]}-01")

    @classmethod
    def from_header(cls, traceparent: str | None, tracestate: str | None = None) -> TraceContext:
        """Continue the caller's trace when its header is valid, else start one."""
        if traceparent:
            try:
                return cls(traceparent=traceparent.strip().lower(), tracestate=tracestate)
            except ValueError:
                pass
        return cls.start()

    @property
    def trace_id(self) -> str:
        """The 32-hex trace id shared by every hop of one transaction."""
        return self.traceparent[3:35]  # the pattern fixes every part's place: vv-<trace id>-<span id>-ff

    def child_traceparent(self) -> str:
        """The next hop's `traceparent`: same trace, a new span id (16 fresh hex digits)."""
        parent = self.traceparent
        return f"{parent[:36]}{urandom(8).hex()}{parent[52:]}"

    def child(self) -> TraceContext:
        """The context for the next hop: same trace, new span id."""
        # Validated, though every part comes from this valid context: pydantic-core checks two strings
        # in less time than model_construct's Python loop over the fields, and about what building it
        # unchecked in Python costs (bus.trusted_models: 19.3k → 18.3k instructions, not kept).
        return TraceContext(traceparent=self.child_traceparent(), tracestate=self.tracestate)


# The ids a worker decodes are few (the catalog's clients and services): each text is parsed once.
# A text that does not parse raises every time (lru_cache keeps no exception).
_client_id = lru_cache(maxsize=1024)(ClientId.parse)
_service_id = lru_cache(maxsize=1024)(ServiceId.parse)


class Envelope(BaseModel):
    """A request on its way from a client to a service's adapter (frozen: change it by `model_copy`)."""

    model_config = ConfigDict(frozen=True)

    message_id: str = Field(default_factory=new_id)
    correlation_id: str = Field(default_factory=new_id, description="the bus's transaction id")
    caller_transaction_id: str | None = Field(
        None,
        description="the caller's X-Road-Id, echoed to it (correlation_id is scoped_transaction_id of it)",
    )
    client: ClientId
    service: ServiceId
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field("", description="REST sub-path after the service id")
    query: dict[str, str] = Field(default_factory=dict)
    user_id: str | None = Field(None, description="the officer acting (X-Road userId)")
    issue: str | None = Field(None, description="the dossier number the request is for")
    created_at: datetime = Field(default_factory=utc_now)
    deadline_at: datetime | None = None
    attempt: int = Field(1, ge=1)
    idempotency_key: str | None = None
    trace: TraceContext = Field(default_factory=TraceContext.start)
    payload: JsonValue = None

    @field_validator("client", mode="before")
    @classmethod
    def _parsed_client(cls, value: object) -> object:
        return _client_id(value) if type(value) is str else value

    @field_validator("service", mode="before")
    @classmethod
    def _parsed_service(cls, value: object) -> object:
        return _service_id(value) if type(value) is str else value

    @property
    def request_code(self) -> str:
        """The provider-side identity of this business request (32 hex digits): the one place adapters
        take a dossier code, payment reference, order number or MaYeuCau from when the payload has none.

        Derived from the Idempotency-Key (scoped to client and service) when the caller sent one, else
        it is the bus's transaction id (scoped to the client, so never another caller's); either way it
        is the same on every attempt of the request: the bus's retries, a redelivery after a crash, a
        DLQ replay, and, with a key, the client's own retries.
        So the provider's de-duplication on its code makes the effect happen once.
        """
        if self.idempotency_key is None:
            return self.correlation_id
        scope = f"{self.client}\n{self.service}\n{self.idempotency_key}".encode()
        return hashlib.sha256(scope).hexdigest()[:32]

    def with_deadline(self, seconds: float) -> Envelope:
        """A copy whose deadline is `seconds` from now."""
        return self.model_copy(update={"deadline_at": utc_now() + timedelta(seconds=seconds)})

    def seconds_left(self, default: float = 30.0) -> float:
        """Time left before the deadline (never negative); `default` when there is none."""
        if self.deadline_at is None:
            return default
        return max(0.0, (self.deadline_at - utc_now()).total_seconds())


class Reply(BaseModel):
    """The answer to an Envelope: a payload or an error of the taxonomy (frozen: change by `model_copy`)."""

    model_config = ConfigDict(frozen=True)

    correlation_id: str
    message_id: str = Field(default_factory=new_id)
    in_reply_to: str
    ok: bool
    status: int = 200
    payload: JsonValue = None
    error: ErrorBody | None = None
    worker: str | None = Field(None, description="which worker process answered")
    received_at: datetime | None = None
    replied_at: datetime = Field(default_factory=utc_now)
    trace: TraceContext | None = None
    settled: bool = Field(
        True, description="False when the bus goes on with the request after this answer (a retry is due)"
    )

    @classmethod
    def success(cls, request: Envelope, payload: JsonValue, *, status: int = 200, **extra: object) -> Reply:
        """A successful reply to `request`."""
        return cls(
            correlation_id=request.correlation_id,
            in_reply_to=request.message_id,
            ok=True,
            status=status,
            payload=payload,
            trace=request.trace.child(),
            **extra,
        )

    @classmethod
    def failure(cls, request: Envelope, error: ErrorBody, status: int, **extra: object) -> Reply:
        """An error reply to `request`."""
        return cls(
            correlation_id=request.correlation_id,
            in_reply_to=request.message_id,
            ok=False,
            status=status,
            error=error,
            trace=request.trace.child(),
            **extra,
        )
