"""Idempotency keys at the gateway: a repeated request gets the first one's answer, without a second effect.

The first request claims the key (see `bus.key_states`: in flight, completed, not done, unknown). A
definitive answer is stored and replayed; any other outcome leaves the key to the next attempt, which
reaches the provider with the same request code. A duplicate that finds an attempt in flight waits for
its outcome, up to its own deadline, then gets 409 with Retry-After. While the bus still works on an
accepted request after its caller stopped waiting (a time-out, a retry scheduled), the key stays in
flight for the bus's whole retry horizon and the worker records the outcome. The store is shared, so
this holds across gateway replicas, workers and restarts.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from fastapi.responses import Response
from pydantic import BaseModel

from bus.answers import HttpAnswer
from bus.catalog import ServiceSpec
from bus.envelope import Reply
from bus.errors import BadRequest, BusError, BusTimeout, BusUnavailable, ClientError, NoRoute, Overloaded
from bus.key_states import KeyBook, key_location
from bus.store import Store

REPLAYED_HEADER = "idempotent-replayed"
# Said to a caller whose keyed request timed out at the gateway: it was accepted and is not lost.
STILL_WORKING = "the bus goes on with it: retry with the same Idempotency-Key for its outcome"
# Headers of the first answer worth giving back; the rest are per-connection.
KEPT_HEADERS = ("content-type", "x-road-id", "x-lgsp-worker", "traceparent", "location", "preference-applied")


class IdempotencyKeyReused(BadRequest):
    """The key was first used for a different request."""

    status = 422


class IdempotencyInProgress(ClientError):
    """An earlier attempt with this key is still running past this request's deadline."""

    type = "Client.Conflict"
    status = 409


class Lease(BaseModel):
    """The right, held by one attempt (its message id), to produce the key's outcome."""

    location: str
    owner: str


def fingerprint(method: str, path: str, query: dict[str, str], body: bytes) -> str:
    """What must match for a request to count as a repeat of the first."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), repr(sorted(query.items())).encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.hexdigest()


def work_horizon(service: ServiceSpec) -> float:
    """How long the bus may go on with an accepted request: every attempt's time-out and longest delay."""
    return service.retry.max_attempts * (service.timeout + service.retry.max_delay) + service.timeout


def stored_answer(response: Response) -> HttpAnswer:
    """The parts of `response` a replay needs."""
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return HttpAnswer(status=response.status_code, headers=kept, body=bytes(response.body).decode())


def replay(answer: HttpAnswer) -> Response:
    """A stored answer, marked as a replay."""
    headers = {**answer.headers, REPLAYED_HEADER: "true"}
    media_type = headers.pop("content-type", None)
    return Response(answer.body.encode(), status_code=answer.status, headers=headers, media_type=media_type)


class IdempotencyKeys:
    """Claims, waits for, settles and replays keys in the shared store."""

    def __init__(self, store: Store, *, ttl: float, poll_seconds: float, lease_margin: float) -> None:
        self.book = KeyBook(store, ttl=ttl)
        self.poll_seconds = poll_seconds
        self.lease_margin = lease_margin

    @staticmethod
    def store_key(client: str, service: str, key: str) -> str:
        """Where the state of `key` of this client and service lives."""
        return key_location(client, service, key)

    async def begin(
        self, location: str, key: str, print_: str, *, owner: str, transaction_id: str, seconds: float
    ) -> Lease | Response:
        """The key for attempt `owner` (its message id), or the first request's answer.

        `seconds` is this request's own wait: an attempt in flight elsewhere is waited for that long."""
        deadline = time.time() + seconds
        while True:
            until = time.time() + seconds + self.lease_margin
            record = await self.book.claim(
                location, print_, owner, transaction_id=transaction_id, until=until
            )
            if record.fingerprint != print_:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was already used for a different request; use a new key"
                )
            if record.state == "in_flight" and record.owner == owner:
                return Lease(location=location, owner=owner)
            if record.state == "completed" and record.answer is not None:
                return replay(record.answer)
            left = deadline - time.time()
            if left <= 0:
                raise IdempotencyInProgress(
                    f"a request with Idempotency-Key {key!r} is still in progress; retry later",
                    retry_after=max(1.0, record.until - time.time()),
                )
            await asyncio.sleep(min(self.poll_seconds, left))

    async def answered(self, lease: Lease, reply: Reply, service: ServiceSpec) -> None:
        """A worker's reply reached the caller: store it if final and definitive, else keep the key
        in flight while the bus carries on (the worker then records the outcome)."""
        if reply.settled:
            await self.book.settle_reply(lease.location, lease.owner, reply)
        else:
            await self.book.extend(lease.location, lease.owner, time.time() + work_horizon(service))

    async def followed_late(self, lease: Lease, service: ServiceSpec) -> None:
        """The caller was answered 202 because the request's publish was unconfirmed: the bus may still
        run it, and its worker records the outcome under the key; the key stays in flight meanwhile (a
        publish the broker refused frees it when that time is up)."""
        await self.book.extend(lease.location, lease.owner, time.time() + work_horizon(service))

    async def complete(self, lease: Lease, response: Response) -> None:
        """Store `response` as the key's answer (an async call's 202: its transaction tells the rest)."""
        await self.book.settle(lease.location, lease.owner, "completed", answer=stored_answer(response))

    async def failed(self, lease: Lease, error: Exception, service: ServiceSpec) -> None:
        """The bus gave the caller no reply: say what that means for the key."""
        if isinstance(error, NoRoute | Overloaded | BusUnavailable):
            # Refused at publish (or before, the store being out): the bus never took the request.
            await self.book.settle(lease.location, lease.owner, "not_done", reason=error.type)
        elif isinstance(error, BusTimeout):
            # Published, unanswered in time: the bus still works on it and records the outcome.
            await self.book.extend(lease.location, lease.owner, time.time() + work_horizon(service))
        else:
            reason = error.type if isinstance(error, BusError) else type(error).__name__
            await self.book.settle(lease.location, lease.owner, "unknown", reason=reason)
