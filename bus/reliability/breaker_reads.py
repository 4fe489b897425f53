"""The circuit breakers' reads of their circuits kept in the worker's memory while Redis tracks them.

Each call asks its provider's breaker whether the circuit is open: one Redis read per call (a quarter of
a worker's round trips) for a key that changes only when a circuit opens or closes. Under Redis key
tracking (`TrackedReads`, as the gateway keeps its API keys) the read is answered from memory until
Redis announces a change: this worker's own opening holds at its very next call, another worker's as
soon as the announcement arrives (a loopback message), and nothing is kept while tracking may have
missed one. Only the open and generation keys are tracked: the per-call counters would make every
call announce a change.
"""

from __future__ import annotations

from collections.abc import Iterable

from bus.auth.tracked_reads import TrackedReads
from bus.redis_tracking import TrackingListener
from bus.reliability.breaker import generation_key, open_key
from bus.store.base import Store
from bus.store.redis import RedisStore


def breaker_keys(providers: Iterable[str]) -> list[str]:
    """The keys a breaker reads on its calls, for each of `providers` (adapter names)."""
    names = sorted(set(providers))
    return [key for provider in names for key in (open_key(provider), generation_key(provider))]


def tracked_breaker_reads(store: Store, url: str | None, providers: Iterable[str]) -> Store:
    """`store` with the circuit breakers' reads of `providers`' circuits kept in memory under Redis
    tracking when it is a RedisStore (at `url`); every other operation goes to `store`. A store in this
    process's memory is returned as it is."""
    keys = breaker_keys(providers)
    if not isinstance(store, RedisStore) or url is None or not keys:
        return store
    listener = TrackingListener(url, [store.prefix + key for key in keys])
    return TrackedReads(store, listener, prefixes=keys, server_prefix=store.prefix)
