"""An Idempotency-Key's state in the shared store, kept by the gateway and the workers alike.

    (absent) ──an attempt claims it──▶ in_flight ──definitive outcome──▶ completed  (the answer, replayed)
                                           ├──refused before the bus took it──▶ not_done (safe to run again)
                                           └──transient failure, dead letter──▶ unknown  (may have happened)
    not_done, unknown, or in_flight past its `until` ──the next attempt claims it──▶ in_flight

A refusal says nothing of earlier attempts: a key whose earlier attempt may have acted (unknown, or in
flight past its `until`) stays unknown when the attempt that took it over is refused.

Only definitive outcomes are answers: a success, `Client.*` (but RateLimited), `Server.Provider.Rejected`.
Any other outcome lets the next attempt run again with the same provider request code
(`Envelope.request_code`), so the provider's own de-duplication keeps the effect single. An in-flight
record names the attempt holding it (its message id, carried by the bus's retries, redeliveries and DLQ
replays) and until when it is presumed busy; only that attempt settles it. Every change is a
compare-and-set on the record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ValidationError

from bus.answers import HttpAnswer, http_answer
from bus.envelope import Envelope, Reply
from bus.errors import ProviderRejected, RateLimited
from bus.store.base import Store

KEY_PREFIX = "idem:"
# Compare-and-set rounds before giving up on a record other writers keep changing.
WRITE_ROUNDS = 5

KeyStateName = Literal["in_flight", "completed", "not_done", "unknown"]


class KeyRecord(BaseModel):
    """What the store holds for one client's key of one service."""

    state: KeyStateName
    fingerprint: str
    owner: str  # message id of the attempt holding, or last holding, the key
    until: float  # in_flight: wall-clock epoch seconds until which its holder is presumed busy
    transaction_id: str | None = None
    attempts: int = 1
    answer: HttpAnswer | None = None
    reason: str | None = None  # the error type of a not_done or unknown outcome
    # The state the holder took the key over from (None: it claimed an absent key).
    earlier: KeyStateName | None = None


def key_location(client: str, service: str, key: str) -> str:
    """Where the state of `key`, sent by `client` to `service`, lives in the store."""
    return f"{KEY_PREFIX}{client}|{service}|{key}"


def envelope_key_location(envelope: Envelope) -> str | None:
    """The key location of a request sent with an Idempotency-Key, else None."""
    if envelope.idempotency_key is None:
        return None
    return key_location(str(envelope.client), str(envelope.service), envelope.idempotency_key)


def is_definitive(error_type: str | None) -> bool:
    """Whether an outcome is the request's answer for good: success (None), `Client.*` (but a rate
    limit, which passes), or `Server.Provider.Rejected`."""
    if error_type is None or error_type == ProviderRejected.type:
        return True
    return error_type.startswith("Client.") and error_type != RateLimited.type


class KeyBook:
    """Reads and changes key records in `store`, each record kept `ttl` seconds after its last change."""

    def __init__(self, store: Store, *, ttl: float, clock: Callable[[], float] = time.time) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        self.store = store
        self.ttl = ttl
        self.clock = clock  # wall clock: records are compared across hosts

    async def read(self, location: str) -> KeyRecord | None:
        """The record at `location`, None when absent (or unreadable)."""
        found = await self._read(location)
        return found[1] if found is not None else None

    async def claim(
        self, location: str, fingerprint: str, owner: str, *, transaction_id: str, until: float
    ) -> KeyRecord:
        """Take the key for attempt `owner` when it is free, or return the record that stands in the way.

        Free means absent, not_done, unknown, or in flight past its `until`. The caller holds the key when
        the record returned is in flight with its `owner`; a different fingerprint is never taken over."""
        for _ in range(WRITE_ROUNDS):
            found = await self._read(location)
            mine = KeyRecord(
                state="in_flight",
                fingerprint=fingerprint,
                owner=owner,
                until=until,
                transaction_id=transaction_id,
            )
            if found is None:
                if await self.store.set_if_absent(location, _encode(mine), ttl=self.ttl):
                    return mine
                continue
            raw, record = found
            busy = record.state == "in_flight" and self.clock() < record.until
            if record.fingerprint != fingerprint or record.state == "completed" or busy:
                return record
            mine.attempts = record.attempts + 1
            mine.earlier = record.state
            if await self.store.replace_if(location, raw, _encode(mine), ttl=self.ttl):
                return mine
        raise RuntimeError(f"key record {location!r} kept changing; try again")

    async def extend(self, location: str, owner: str, until: float) -> bool:
        """Keep `owner`'s in-flight record busy until `until` (the bus still works on it)."""
        return await self._change(location, owner, lambda record: record.model_copy(update={"until": until}))

    async def settle(
        self,
        location: str,
        owner: str,
        state: KeyStateName,
        *,
        answer: HttpAnswer | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record `owner`'s outcome (the answer of a completed key, the error type of another);
        False when another attempt holds the key or it is already completed. `not_done` is recorded as
        unknown when an earlier attempt may have acted."""

        def settled(record: KeyRecord) -> KeyRecord:
            may_have_acted = record.earlier not in (None, "not_done")
            final = "unknown" if state == "not_done" and may_have_acted else state
            return record.model_copy(
                update={"state": final, "until": self.clock(), "answer": answer, "reason": reason}
            )

        return await self._change(location, owner, settled)

    async def settle_reply(self, location: str, owner: str, reply: Reply) -> bool:
        """Record a worker's final reply: the answer when definitive, else unknown (run again next time)."""
        error_type = reply.error.type if reply.error is not None else None
        if reply.ok or is_definitive(error_type):
            return await self.settle(location, owner, "completed", answer=http_answer(reply))
        return await self.settle(location, owner, "unknown", reason=error_type)

    async def _change(self, location: str, owner: str, change: Callable[[KeyRecord], KeyRecord]) -> bool:
        for _ in range(WRITE_ROUNDS):
            found = await self._read(location)
            if found is None:
                return False  # expired, or this store is not the gateway's: nothing to settle
            raw, record = found
            if record.owner != owner or record.state == "completed":
                return False
            if await self.store.replace_if(location, raw, _encode(change(record)), ttl=self.ttl):
                return True
        return False

    async def _read(self, location: str) -> tuple[bytes, KeyRecord] | None:
        raw = await self.store.get(location)
        if raw is None:
            return None
        try:
            return raw, KeyRecord.model_validate_json(raw)
        except ValidationError:
            # An unreadable record is replaced rather than left to wedge the key.
            await self.store.delete(location)
            return None


def _encode(record: KeyRecord) -> bytes:
    return record.model_dump_json(exclude_none=True).encode()
