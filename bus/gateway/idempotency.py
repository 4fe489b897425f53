"""Idempotency keys: a repeated request gets the first one's answer, without a second effect.

The first request takes a lease (`set_if_absent` of an in-flight marker carrying its deadline); the
answer then replaces the marker for `ttl`. Duplicates arriving meanwhile poll until the answer appears,
and get 409 if the first passes its deadline without one. The store is shared, so this holds across
gateway replicas and restarts.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import ClassVar, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from bus.errors import BadRequest, ClientError
from bus.store import Store

REPLAYED_HEADER = "idempotent-replayed"
# Headers of the first answer worth giving back; the rest are per-connection.
KEPT_HEADERS = ("content-type", "x-road-id", "x-lgsp-worker", "traceparent", "location", "preference-applied")


class IdempotencyKeyReused(BadRequest):
    """The key was first used for a different request."""

    status = 422


class IdempotencyInProgress(ClientError):
    """The first request with this key is still running past its deadline."""

    type = "Client.Conflict"
    status = 409


class StoredResponse(BaseModel):
    """An HTTP answer as kept in the store."""

    status: int
    headers: dict[str, str]
    body: str

    @classmethod
    def of(cls, response: Response) -> StoredResponse:
        """The parts of `response` a replay needs."""
        kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        return cls(status=response.status_code, headers=kept, body=bytes(response.body).decode())

    def replay(self) -> Response:
        """The stored answer, marked as a replay."""
        headers = {**self.headers, REPLAYED_HEADER: "true"}
        media_type = headers.pop("content-type", None)
        return Response(self.body.encode(), status_code=self.status, headers=headers, media_type=media_type)


class _Entry(BaseModel):
    state: Literal["in_flight", "done"]
    owner: str
    fingerprint: str
    deadline: float  # wall-clock epoch seconds, comparable across replicas
    response: StoredResponse | None = None


class Lease(BaseModel):
    """The right, held by the first request with a key, to produce its answer."""

    store_key: str
    owner: str
    fingerprint: str
    deadline: float


def fingerprint(method: str, path: str, query: dict[str, str], body: bytes) -> str:
    """What must match for a request to count as a repeat of the first."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), repr(sorted(query.items())).encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.hexdigest()


class IdempotencyKeys:
    """Leases and remembered answers in the shared store."""

    PREFIX: ClassVar[str] = "idem:"

    def __init__(self, store: Store, *, ttl: float, poll_seconds: float, lease_margin: float) -> None:
        self.store = store
        self.ttl = ttl
        self.poll_seconds = poll_seconds
        self.lease_margin = lease_margin

    def store_key(self, client: str, service: str, key: str) -> str:
        """Where the answer for `key` of this client and service lives."""
        return f"{self.PREFIX}{client}|{service}|{key}"

    async def begin(self, store_key: str, key: str, print_: str, seconds: float) -> Lease | Response:
        """A lease to run the request, or the first request's answer (waiting for it if needed)."""
        owner = uuid.uuid4().hex
        while True:
            deadline = time.time() + seconds
            marker = _Entry(state="in_flight", owner=owner, fingerprint=print_, deadline=deadline)
            lease_ttl = seconds + self.lease_margin
            if await self.store.set_if_absent(store_key, marker.model_dump_json().encode(), ttl=lease_ttl):
                return Lease(store_key=store_key, owner=owner, fingerprint=print_, deadline=deadline)
            entry = await self._read(store_key)
            if entry is None:
                continue  # released or expired between our two steps: try to take it
            if entry.fingerprint != print_:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was already used for a different request; use a new key"
                )
            if entry.state == "done" and entry.response is not None:
                return entry.response.replay()
            if time.time() > entry.deadline:
                raise IdempotencyInProgress(
                    f"a request with Idempotency-Key {key!r} is still in progress; retry later",
                    retry_after=self.lease_margin,
                )
            await asyncio.sleep(self.poll_seconds)

    async def complete(self, lease: Lease, response: Response) -> None:
        """Remember `response` as the answer for the lease's key."""
        entry = _Entry(
            state="done",
            owner=lease.owner,
            fingerprint=lease.fingerprint,
            deadline=lease.deadline,
            response=StoredResponse.of(response),
        )
        await self.store.set(lease.store_key, entry.model_dump_json().encode(), ttl=self.ttl)

    async def abandon(self, lease: Lease) -> None:
        """Drop the in-flight marker so a retry may run; only if it is still this lease's."""
        entry = await self._read(lease.store_key)
        # Not atomic with the delete, but the marker outlives the deadline, so no other lease exists yet.
        if entry is not None and entry.owner == lease.owner and entry.state == "in_flight":
            await self.store.delete(lease.store_key)

    async def _read(self, store_key: str) -> _Entry | None:
        raw = await self.store.get(store_key)
        if raw is None:
            return None
        try:
            return _Entry.model_validate_json(raw)
        except ValidationError:
            # Unreadable entries are treated as absent and replaced rather than wedging the key.
            await self.store.delete(store_key)
            return None
