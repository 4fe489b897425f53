"""Where journeys live in the Store: their state (written by compare-and-set), the dossier-code index,
the start order, and the event waits.

Keys (under `prefix`): `journey:{id}` the state; `dossier:{maHoSo}` the journey id owning a code;
`index:count` and `index:{n}` the start order; `wait:{event type}:{key}` the journey and step waiting
for that event; `event:{event type}:{key}` an event that arrived (so a wait registered after it still
finds it). Every state write is conditional on the bytes read before it (`Store.replace_if`): a
worker whose write fails has lost the journey to another and stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from pydantic import BaseModel

from bus.events import BusEvent
from bus.flows.journey_state import JourneyState
from bus.store.base import Store


@dataclass(frozen=True)
class Stored:
    """A state together with the exact bytes it was read from (the compare-and-set's expectation)."""

    state: JourneyState
    raw: bytes


class EventWait(BaseModel):
    """A step waiting for an event."""

    journey_id: str
    step: str


class JourneyBook:
    """Journey state and indexes in a `Store`."""

    def __init__(self, store: Store, *, prefix: str = "flows:", event_ttl: float = 30 * 86_400.0) -> None:
        self.store = store
        self.prefix = prefix
        self.event_ttl = event_ttl

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def load(self, journey_id: str) -> Stored | None:
        """The journey's state as stored, or None."""
        raw = await self.store.get(self._key("journey", journey_id))
        return None if raw is None else Stored(JourneyState.model_validate_json(raw), raw)

    async def create(self, state: JourneyState) -> Stored | None:
        """Store a new journey; None when one with its id already exists."""
        raw = state.model_dump_json().encode()
        written = await self.store.set_if_absent(self._key("journey", state.journey_id), raw)
        return Stored(state, raw) if written else None

    async def replace(self, before: Stored, state: JourneyState) -> Stored | None:
        """Write `state` over `before`; None when the stored state is no longer `before` (lost the race)."""
        state.transitions = before.state.transitions + 1
        raw = state.model_dump_json().encode()
        key = self._key("journey", state.journey_id)
        return Stored(state, raw) if await self.store.replace_if(key, before.raw, raw) else None

    async def claim_dossier(self, dossier_code: str, journey_id: str) -> str:
        """The id of the journey owning `dossier_code`: `journey_id` if this call claimed it."""
        key = self._key("dossier", dossier_code)
        if await self.store.set_if_absent(key, journey_id.encode()):
            return journey_id
        owner = await self.store.get(key)
        if owner is None:  # released between the two calls: never happens today (no key is deleted)
            return await self.claim_dossier(dossier_code, journey_id)
        return owner.decode()

    async def dossier_owner(self, dossier_code: str) -> str | None:
        """The id of the journey owning `dossier_code`, if any."""
        owner = await self.store.get(self._key("dossier", dossier_code))
        return None if owner is None else owner.decode()

    async def journey_of(self, dossier_code: str) -> JourneyState | None:
        """The state of the journey started for `dossier_code`, if any."""
        journey_id = await self.dossier_owner(dossier_code)
        stored = None if journey_id is None else await self.load(journey_id)
        return None if stored is None else stored.state

    async def add_to_index(self, journey_id: str) -> None:
        """Append the journey to the start order (a repeated entry is skipped when listing)."""
        number = await self.store.incr(self._key("index", "count"))
        await self.store.set(self._key("index", str(number)), journey_id.encode())

    async def newest_ids(self) -> AsyncIterator[str]:
        """Journey ids, most recently started first, each once."""
        count = int((await self.store.get(self._key("index", "count"))) or b"0")
        seen: set[str] = set()
        for number in range(count, 0, -1):
            found = await self.store.get(self._key("index", str(number)))
            if found is not None and found.decode() not in seen:
                seen.add(found.decode())
                yield found.decode()

    async def register_wait(self, event_type: str, key: str, wait: EventWait) -> None:
        """Note that `wait` expects the event of `event_type` keyed `key`."""
        await self.store.set(self._key("wait", event_type, key), wait.model_dump_json().encode())

    async def wait_for(self, event_type: str, key: str) -> EventWait | None:
        """Who waits for that event, if anyone."""
        raw = await self.store.get(self._key("wait", event_type, key))
        return None if raw is None else EventWait.model_validate_json(raw)

    async def record_event(self, key: str, event: BusEvent) -> None:
        """Keep an event that arrived, for `event_ttl` seconds (the first copy wins)."""
        raw = event.model_dump_json().encode()
        await self.store.set_if_absent(self._key("event", event.type, key), raw, ttl=self.event_ttl)

    async def arrived(self, event_type: str, key: str) -> BusEvent | None:
        """The event of `event_type` keyed `key`, if it arrived."""
        raw = await self.store.get(self._key("event", event_type, key))
        return None if raw is None else BusEvent.model_validate_json(raw)
