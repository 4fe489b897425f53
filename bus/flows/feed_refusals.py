"""Feed entries the bus could not start a journey for, kept in the Store for an operator to list.

An entry is refused when it has no position after the feed's cursor, or when its journey cannot be
started from it (a value missing, inputs the journey refuses, a time without its UTC offset). The refusal
is written before the follower moves its cursor past the entry, so none is lost, and it is written once
per entry (keyed by its position, or by its content when it has no usable position), so reading it again
after a crash, or from another engine, changes nothing.

Keys (under `prefix`): `{kind}:refused:{entry key}` the refusal; `{kind}:refused:count` and
`{kind}:refused:{n}` the order refusals were first written in (a repeated number is skipped when listing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

from pydantic import AwareDatetime, BaseModel, Field, JsonValue

from bus.store.base import Store

MAX_ENTRY_CHARS = 4000  # an entry is kept up to this size (its JSON), so one huge entry cannot bloat it


class RefusedFeedEntry(BaseModel):
    """One feed entry no journey was started for, and why."""

    kind: str = Field(description="the journey kind whose feed it came from")
    position: int | None = Field(description="the entry's position in the feed (None: it had no usable one)")
    after: int = Field(description="the feed's cursor when the entry was read")
    reason: str
    entry: JsonValue = Field(description="the entry as read (its JSON cut at MAX_ENTRY_CHARS: a string)")
    refused_at: AwareDatetime


def entry_key(position: int | None, entry: JsonValue) -> str:
    """The refusal's key: `p<position>`, or `h<digest of the entry>` without a usable position."""
    if position is not None:
        return f"p{position}"
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "h" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def kept(entry: JsonValue) -> JsonValue:
    """The entry itself, or its JSON cut to MAX_ENTRY_CHARS when longer."""
    text = json.dumps(entry, ensure_ascii=False)
    return entry if len(text) <= MAX_ENTRY_CHARS else text[:MAX_ENTRY_CHARS]


class FeedRefusals:
    """Refused feed entries of every kind in a `Store`."""

    def __init__(self, store: Store, *, prefix: str) -> None:
        self.store = store
        self.prefix = prefix

    def _key(self, kind: str, *parts: str) -> str:
        return f"{self.prefix}{kind}:refused:" + ":".join(parts)

    async def record(self, refusal: RefusedFeedEntry) -> bool:
        """Keep `refusal` unless its entry was refused before; True when this call kept it. The order
        is appended first: a crash between the two writes leaves a number without a refusal (skipped),
        never a refusal that is not listed."""
        key = self._key(refusal.kind, entry_key(refusal.position, refusal.entry))
        if await self.store.get(key) is not None:
            return False
        number = await self.store.incr(self._key(refusal.kind, "count"))
        await self.store.set(self._key(refusal.kind, str(number)), key.encode())
        return await self.store.set_if_absent(key, refusal.model_dump_json().encode())

    async def newest(self, kind: str, limit: int = 100) -> list[RefusedFeedEntry]:
        """The refusals of `kind`'s feed, the most recently refused first, at most `limit`."""
        found: list[RefusedFeedEntry] = []
        async for refusal in self._newest(kind):
            found.append(refusal)
            if len(found) >= limit:
                break
        return found

    async def _newest(self, kind: str) -> AsyncIterator[RefusedFeedEntry]:
        count = int((await self.store.get(self._key(kind, "count"))) or b"0")
        seen: set[bytes] = set()
        for number in range(count, 0, -1):
            key = await self.store.get(self._key(kind, str(number)))
            if key is None or key in seen:
                continue
            seen.add(key)
            raw = await self.store.get(key.decode())
            if raw is not None:
                yield RefusedFeedEntry.model_validate_json(raw)
