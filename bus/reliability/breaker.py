"""A circuit breaker per provider whose state lives in the Store, so every worker sees the same circuit.

    closed ──(failures/calls ≥ ratio over the window, calls ≥ min_calls)──▶ open
    open ──(open_seconds passed; one caller wins the probe lease)──▶ half-open
    half-open ──probe succeeds──▶ closed (fresh window)      half-open ──probe fails──▶ open

The window is a few time slots of counters (`incr` with a TTL); a new generation after closing starts
the window afresh. Only provider failures count: a client error says nothing about the provider's health.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from bus.errors import CircuitOpen
from bus.group_commit import GroupCommit
from bus.reliability.policy import BreakerPolicy
from bus.store.base import Store

SLOTS = 5  # slots per window: coarse enough to read in a few calls, fine enough to slide
KEY_PREFIX = "breaker:"
# While a half-open probe runs, others are told to come back after about one call's time.
PROBE_SECONDS = 1.0
# A success is counted under the generation this breaker read at most this long ago (one store read
# per call saved); a failure always reads it afresh, so a stale window never re-opens a closed circuit.
GENERATION_MEMO_SECONDS = 1.0

BreakerStateName = Literal["closed", "open", "half-open"]


def open_key(provider: str) -> str:
    """The store key that holds `provider`'s circuit while it is open (`OpenCircuit`)."""
    return f"{KEY_PREFIX}{provider}:open"


def generation_key(provider: str) -> str:
    """The store key of `provider`'s circuit generation (moved by each close)."""
    return f"{KEY_PREFIX}{provider}:generation"


class OpenCircuit(BaseModel):
    """What the store holds while a circuit is open."""

    opened_at: float
    until: float


@dataclass(frozen=True)
class CallCount:
    """Where a breaker counts one call: the store counter to add one to, and its expiry."""

    counter: str
    ttl: float


class BreakerState(BaseModel):
    """One provider's circuit as an operator sees it."""

    provider: str
    state: BreakerStateName
    calls: int
    failures: int
    open_until: float | None = None


class CircuitBreaker:
    """The circuit of one provider (adapter name), shared through `store` by every worker."""

    def __init__(
        self,
        store: Store,
        provider: str,
        policy: BreakerPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not provider:
            raise ValueError("provider name must not be empty")
        self.store = store
        self.provider = provider
        self.policy = policy
        self.clock = clock  # wall clock: shared by processes on different hosts' synced clocks
        self._key = f"{KEY_PREFIX}{provider}"
        self._open_key = open_key(provider)
        self._generation_key = generation_key(provider)
        # Calls counted while another call's count is on its way go out together: one `incr` by their
        # number per counter. A call counted with none on its way writes its own (no task, no batch).
        self._calls: GroupCommit[str, None] = GroupCommit(self._count_calls)
        self._counting = False
        self._generation_read: tuple[float, int] | None = None  # (when, generation) last read

    async def allow(self) -> bool:
        """Let a call through, or raise CircuitOpen. True when this call is the half-open probe."""
        opened = await self._open_circuit()
        if opened is None:
            return False
        now = self.clock()
        if now < opened.until:
            raise CircuitOpen(
                f"circuit of provider {self.provider!r} is open; failing fast",
                retry_after=opened.until - now,
            )
        # The lease lasts as long as an open period: a probe that never reports frees it again.
        if await self.store.set_if_absent(f"{self._key}:probe", b"1", ttl=self.policy.open_seconds):
            return True
        raise CircuitOpen(
            f"circuit of provider {self.provider!r} is half-open; a probe is under way",
            retry_after=min(self.policy.open_seconds, PROBE_SECONDS),
        )

    async def record(self, *, ok: bool, probe: bool = False) -> None:
        """Count one call's outcome; a probe's outcome closes or re-opens the circuit."""
        if probe:
            if ok:
                await self._close()
            else:
                await self._open(replace=True)
            await self.store.delete(f"{self._key}:probe")
            return
        generation = await self._generation(recent=ok)
        slot = self._slot()
        await self._count_call(self._counter("calls", generation, slot))
        if ok:
            return
        await self.store.incr(self._counter("failures", generation, slot), ttl=self._counter_ttl)
        calls, failures = await self._window(generation)
        if calls >= self.policy.min_calls and failures / calls >= self.policy.failure_ratio:
            await self._open(replace=False)

    async def success_count(self) -> CallCount:
        """Where one successful call (not a probe) is counted, for a caller that adds it with a store step
        of its own (`Store.set_and_incr`) instead of `record(ok=True)`."""
        generation = await self._generation(recent=True)
        return CallCount(self._counter("calls", generation, self._slot()), self._counter_ttl)

    async def state(self) -> BreakerState:
        """The circuit now: closed, open, or half-open (open period over, awaiting or running a probe)."""
        calls, failures = await self._window(await self._generation())
        opened = await self._open_circuit()
        if opened is None:
            return BreakerState(provider=self.provider, state="closed", calls=calls, failures=failures)
        name: BreakerStateName = "open" if self.clock() < opened.until else "half-open"
        return BreakerState(
            provider=self.provider, state=name, calls=calls, failures=failures, open_until=opened.until
        )

    async def _open(self, *, replace: bool) -> None:
        now = self.clock()
        value = OpenCircuit(opened_at=now, until=now + self.policy.open_seconds).model_dump_json().encode()
        if replace:
            await self.store.set(self._open_key, value)
        else:  # many workers may see the threshold crossed at once; the first one opens it
            await self.store.set_if_absent(self._open_key, value)

    async def _close(self) -> None:
        generation = await self.store.incr(self._generation_key)
        self._generation_read = (self.clock(), generation)
        await self.store.delete(self._open_key)

    async def _open_circuit(self) -> OpenCircuit | None:
        raw = await self.store.get(self._open_key)
        return OpenCircuit.model_validate_json(raw) if raw is not None else None

    async def _generation(self, *, recent: bool = False) -> int:
        """The circuit's generation; with `recent`, the one read within GENERATION_MEMO_SECONDS will do."""
        now = self.clock()
        memo = self._generation_read
        if recent and memo is not None and 0 <= now - memo[0] < GENERATION_MEMO_SECONDS:
            return memo[1]
        raw = await self.store.get(self._generation_key)
        generation = int(raw) if raw is not None else 0
        self._generation_read = (now, generation)
        return generation

    @property
    def _counter_ttl(self) -> float:
        return self.policy.window * 2

    async def _count_call(self, counter: str) -> None:
        if self._counting:
            await self._calls.submit(counter)
            return
        self._counting = True
        try:
            await self.store.incr(counter, ttl=self._counter_ttl)
        finally:
            self._counting = False

    async def _count_calls(self, counters: Sequence[str]) -> list[None]:
        """Add each counter's share of `counters` (one item per call) to it in the store."""
        for counter, calls in Counter(counters).items():
            await self.store.incr(counter, calls, ttl=self._counter_ttl)
        return [None] * len(counters)

    def _slot(self) -> int:
        return math.floor(self.clock() / (self.policy.window / SLOTS))

    def _counter(self, kind: str, generation: int, slot: int) -> str:
        return f"{self._key}:{generation}:{kind}:{slot}"

    async def _window(self, generation: int) -> tuple[int, int]:
        current = self._slot()
        calls = failures = 0
        for slot in range(current - SLOTS + 1, current + 1):
            calls += int(await self.store.get(self._counter("calls", generation, slot)) or 0)
            failures += int(await self.store.get(self._counter("failures", generation, slot)) or 0)
        return calls, failures


async def breaker_states(
    store: Store,
    providers: Iterable[str],
    policy: BreakerPolicy | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> list[BreakerState]:
    """The circuits of `providers` (adapter names), for the gateway's status route.

    The Store cannot list keys, so the caller names the providers (e.g. the catalog's adapters)."""
    chosen = policy if policy is not None else BreakerPolicy()
    names = sorted(set(providers))
    return [await CircuitBreaker(store, name, chosen, clock=clock).state() for name in names]
