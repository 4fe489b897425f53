"""The in-process store: a dict with expiry, for the embedded single-process bus."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable

from bus.store.base import Store


def check_entry(key: str, ttl: float | None, value: bytes | None = None) -> None:
    """Reject a bad key, value or ttl with a clear error, before anything is written."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"store key must be a non-empty string, got {key!r}")
    if value is not None and not isinstance(value, bytes):
        raise TypeError(f"store values are bytes, got {type(value).__name__}")
    if ttl is not None and not ttl > 0:
        raise ValueError(f"ttl must be a positive number of seconds or None, got {ttl!r}")


class MemoryStore(Store):
    """A `Store` held in this process's memory; expired keys are invisible and purged as time moves on.

    No method awaits while it touches the dict, so every operation is atomic under asyncio.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, bytes] = {}
        self._expiry: dict[str, float] = {}
        # (deadline, key) for every ttl ever set; stale entries are skipped when popped.
        self._deadlines: list[tuple[float, str]] = []

    @property
    def reads_are_local(self) -> bool:
        """True: the dict is in this process."""
        return True

    async def connect(self) -> None:
        """Nothing to open; present for the contract."""

    async def close(self) -> None:
        """Nothing to release; the data lives as long as the object."""

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        check_entry(key, None)
        self._purge()
        return self._values.get(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Write `value`, replacing any previous one and its expiry."""
        check_entry(key, ttl, value)
        self._purge()
        self._write(key, value, ttl)

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """Write only when the key is absent; True when this call wrote it."""
        check_entry(key, ttl, value)
        self._purge()
        if key in self._values:
            return False
        self._write(key, value, ttl)
        return True

    async def replace_if(self, key: str, expected: bytes, value: bytes, *, ttl: float | None = None) -> bool:
        """Write `value` only when the key holds exactly `expected`; True when this call wrote it."""
        check_entry(key, ttl, value)
        self._purge()
        if self._values.get(key) != expected:
            return False
        self._write(key, value, ttl)
        return True

    async def get_else_set_if_absent(
        self, found_key: str, key: str, value: bytes, *, ttl: float | None = None
    ) -> tuple[bytes | None, bool]:
        """`found_key`'s value and False when it has one; else None and whether `key` was written."""
        check_entry(found_key, None)
        check_entry(key, ttl, value)
        self._purge()
        found = self._values.get(found_key)
        if found is not None:
            return found, False
        if key in self._values:
            return None, False
        self._write(key, value, ttl)
        return None, True

    async def delete(self, key: str) -> bool:
        """Remove the key; True when it existed (and had not expired)."""
        check_entry(key, None)
        self._purge()
        self._expiry.pop(key, None)
        return self._values.pop(key, None) is not None

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add `amount` and return the new value; `ttl` applies only when this call creates the key."""
        check_entry(key, ttl)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"incr amount must be an int, got {amount!r}")
        self._purge()
        return self._add(key, amount, ttl)

    async def set_and_incr(
        self,
        key: str,
        value: bytes,
        counter: str,
        *,
        ttl: float | None = None,
        counter_ttl: float | None = None,
    ) -> int:
        """`incr(counter)` by one, then `set`, as one step; nothing written when either is refused."""
        check_entry(key, ttl, value)
        check_entry(counter, counter_ttl)
        self._purge()
        total = self._add(counter, 1, counter_ttl)
        self._write(key, value, ttl)
        return total

    def __len__(self) -> int:
        """Live keys held, after purging the expired ones."""
        self._purge()
        return len(self._values)

    def _add(self, key: str, amount: int, ttl: float | None) -> int:
        current = self._values.get(key)
        if current is None:
            self._write(key, str(amount).encode(), ttl)
            return amount
        try:
            total = int(current) + amount
        except ValueError:
            raise ValueError(f"value at {key!r} is not an integer") from None
        self._values[key] = str(total).encode()  # keeps the expiry, as Redis INCRBY does
        return total

    def _write(self, key: str, value: bytes, ttl: float | None) -> None:
        self._values[key] = value
        if ttl is None:
            self._expiry.pop(key, None)
            return
        deadline = self._clock() + ttl
        self._expiry[key] = deadline
        heapq.heappush(self._deadlines, (deadline, key))
        # Rewriting one key with a long ttl leaves stale heap entries; rebuild before they pile up.
        if len(self._deadlines) > 2 * len(self._expiry) + 64:
            self._deadlines = [(when, name) for name, when in self._expiry.items()]
            heapq.heapify(self._deadlines)

    def _purge(self) -> None:
        now = self._clock()
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = heapq.heappop(self._deadlines)
            # Only drop the key if this heap entry is still its current deadline.
            if self._expiry.get(key) == deadline:
                del self._expiry[key]
                del self._values[key]
