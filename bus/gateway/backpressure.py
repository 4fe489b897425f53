"""A bound on the calls one gateway holds at once, and on one client's share of it: past either,
callers get a refusal at once instead of a queue, and one client cannot starve the others."""

from __future__ import annotations

from collections import Counter

from bus.errors import Overloaded, RateLimited


class Slot:
    """One admitted call; releasing it twice is harmless, so every exit path may release."""

    def __init__(self, limit: InFlightLimit) -> None:
        self._limit: InFlightLimit | None = limit
        self._client: str | None = None

    def claim_for(self, client: str) -> None:
        """Count this call against `client`'s share; RateLimited (429) when the client holds it all.

        Called once the caller is authenticated: a share keyed by an unverified header could be
        spent by anyone naming another client."""
        limit = self._limit
        if limit is None or self._client is not None:
            return
        held = limit._by_client[client]
        if held >= limit.per_client:
            raise RateLimited(
                f"client {client} already has {held} calls in progress, its share of this gateway; "
                "retry when one is answered",
                retry_after=limit.retry_after,
            )
        limit._by_client[client] = held + 1
        self._client = client

    def release(self) -> None:
        """Give the slot (and the client's share of it) back, once."""
        limit, self._limit = self._limit, None
        if limit is None:
            return
        limit._held -= 1
        if self._client is not None:
            remaining = limit._by_client[self._client] - 1
            if remaining:
                limit._by_client[self._client] = remaining
            else:
                del limit._by_client[self._client]  # the map holds only clients with calls in progress


class InFlightLimit:
    """Admits at most `maximum` calls, at most `per_client` of them for one client (default: half);
    refusal is immediate so a flood never waits in memory."""

    def __init__(self, maximum: int, *, per_client: int | None = None, retry_after: float = 1.0) -> None:
        if maximum < 1:
            raise ValueError(f"maximum in-flight calls must be at least 1, got {maximum}")
        if per_client is not None and per_client < 1:
            raise ValueError(f"a client's share must be at least 1, got {per_client}")
        self.maximum = maximum
        self.per_client = min(maximum, per_client if per_client is not None else max(1, maximum // 2))
        self.retry_after = retry_after
        self._held = 0
        self._by_client: Counter[str] = Counter()

    @property
    def held(self) -> int:
        """Calls admitted and not yet released."""
        return self._held

    def held_by(self, client: str) -> int:
        """Calls `client` has in progress (claimed with `Slot.claim_for`)."""
        return self._by_client[client]

    def admit(self) -> Slot:
        """A slot, or Overloaded (503 + Retry-After) when all are taken (no await: atomic)."""
        if self._held >= self.maximum:
            raise Overloaded(
                f"the gateway is serving its maximum of {self.maximum} calls; retry shortly",
                retry_after=self.retry_after,
            )
        self._held += 1
        return Slot(self)
