"""What a failover run did to its transactions: each call's answer set against the provider's executions.

A call is *accepted* unless the gateway refused it (503: nothing was sent, so nothing may run). Lost: an
accepted call the provider never executed, or a refused one it executed all the same (its caller was
told "not done"). Doubled: a call the provider executed more than once. The pause is the longest time,
from the node's stop on, in which no call was answered 200 (a 202 followed to a 200 does not count).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REFUSED = 503


@dataclass(frozen=True)
class Call:
    """One call of the load: its key (the payload the provider records), when it ended, its answer."""

    key: str
    ended: float  # monotonic seconds, when the gateway answered
    status: int  # HTTP status (0: no answer); for a 202, the status its followed outcome ended with
    followed: bool = False  # answered 202 first


@dataclass(frozen=True)
class Reconciliation:
    """The figures of a run."""

    calls: int
    by_status: dict[str, int]
    executed: int
    lost: int
    doubled: int
    pause_s: float

    def lines(self) -> list[str]:
        """The figures as `name: value` lines."""
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.by_status.items()))
        return [
            f"calls: {self.calls} ({statuses})",
            f"executions at the provider: {self.executed}",
            f"transactions lost: {self.lost} (goal 0)",
            f"transactions doubled: {self.doubled} (goal 0)",
            f"pause: {self.pause_s:.2f} s (longest time without a 200 answer from the node's stop on)",
        ]


def reconcile(
    calls: Sequence[Call], executions: Iterable[str], stopped_at: float, ended_at: float
) -> Reconciliation:
    """Set the calls' answers against the keys the provider executed (one entry per execution)."""
    executed = Counter(executions)
    lost = sum(
        1
        for call in calls
        if (call.status == REFUSED and executed[call.key] > 0)
        or (call.status != REFUSED and executed[call.key] == 0)
    )
    return Reconciliation(
        calls=len(calls),
        by_status=dict(Counter(f"202→{c.status}" if c.followed else str(c.status) for c in calls)),
        executed=sum(executed.values()),
        lost=lost,
        doubled=sum(1 for count in executed.values() if count > 1),
        pause_s=longest_gap(
            [c.ended for c in calls if c.status == 200 and not c.followed], stopped_at, ended_at
        ),
    )


def longest_gap(times: Iterable[float], start: float, end: float) -> float:
    """The longest interval within [start, end] holding none of `times`."""
    edges = [start, *sorted(t for t in times if start < t < end), end]
    return max(later - earlier for earlier, later in itertools.pairwise(edges))
