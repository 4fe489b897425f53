"""Shared state: the `Store` contract, its memory and Redis implementations, and `make_store`."""

from __future__ import annotations

from urllib.parse import urlparse

from bus.store.base import Store
from bus.store.memory import MemoryStore
from bus.store.redis import RedisStore

__all__ = ["MemoryStore", "RedisStore", "Store", "make_store"]


_NAMED_MEMORY_STORES: dict[str, MemoryStore] = {}


def make_store(url: str | None, *, prefix: str = "lgsp:") -> Store:
    """The store a URL names: None or "memory://" → a new MemoryStore; "memory://NAME" → this process's
    one MemoryStore of that name (so components of the embedded stack share state, as they would
    through Redis); "redis://"/"rediss://" → RedisStore."""
    if url is None or url == "memory://":
        return MemoryStore()
    if url.startswith("memory://"):
        return _NAMED_MEMORY_STORES.setdefault(url, MemoryStore())
    if urlparse(url).scheme in ("redis", "rediss"):
        return RedisStore(url, prefix=prefix)
    raise ValueError(f"unsupported store URL {url!r}: use memory://, redis:// or rediss://")
