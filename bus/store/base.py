"""The shared-state contract: a small key-value store with expiry and atomic counters.

`memory` serves one process (the embedded default); `redis` is shared by every gateway and worker.
One contract test suite runs on both.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Store(Protocol):
    """Keys are text, values bytes; `ttl` is in seconds (None = no expiry)."""

    @property
    def reads_are_local(self) -> bool:
        """Whether a read is (normally) answered in this process, with no wait on a server."""
        ...

    async def connect(self) -> None:
        """Open connections; idempotent."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Write `value`, replacing any previous one."""
        ...

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """Write only when the key is absent; True when this call wrote it (atomic)."""
        ...

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """Write `value` only when the key holds exactly `expected`; True when this call wrote it (atomic)."""
        ...

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """`found_key`'s value and False when it has one (nothing written); else None and whether
        `set_if_absent(key, value)` wrote (atomic: no write of `found_key` falls between the two)."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the key; True when it existed."""
        ...

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add `amount` atomically and return the new value; `ttl` is set when the key is created."""
        ...

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """`incr(counter, ttl=counter_ttl)`'s new value, having also done `set(key, value, ttl=ttl)`: one
        step where the store can (one round trip on Redis); a counter that is not an integer raises
        ValueError with nothing written."""
        ...
