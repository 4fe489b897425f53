"""A bound on the calls one gateway holds at once; past it, callers get 503 instead of a queue."""

from __future__ import annotations

from bus.errors import Overloaded


class Slot:
    """One admitted call; releasing it twice is harmless, so every exit path may release."""

    def __init__(self, limit: InFlightLimit) -> None:
        self._limit: InFlightLimit | None = limit

    def release(self) -> None:
        """Give the slot back (once)."""
        limit, self._limit = self._limit, None
        if limit is not None:
            limit._held -= 1


class InFlightLimit:
    """Admits at most `maximum` calls; refusal is immediate so a flood never waits in memory."""

    def __init__(self, maximum: int, *, retry_after: float = 1.0) -> None:
        if maximum < 1:
            raise ValueError(f"maximum in-flight calls must be at least 1, got {maximum}")
        self.maximum = maximum
        self.retry_after = retry_after
        self._held = 0

    @property
    def held(self) -> int:
        """Calls admitted and not yet released."""
        return self._held

    def admit(self) -> Slot:
        """A slot, or Overloaded (503 + Retry-After) when all are taken (no await: atomic)."""
        if self._held >= self.maximum:
            raise Overloaded(
                f"the gateway is serving its maximum of {self.maximum} calls; retry shortly",
                retry_after=self.retry_after,
            )
        self._held += 1
        return Slot(self)
