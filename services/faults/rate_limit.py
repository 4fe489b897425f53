"""A token bucket: the mock's own rate limit, answered with 429 and Retry-After beyond it."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Refills `rate` tokens a second up to max(1, rate); each request takes one."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def take(self) -> float:
        """Take a token: 0.0 when granted, else the seconds until one will be available."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate
