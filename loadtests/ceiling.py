"""Climb until the SLO breaks: step levels that keep rising to a cap, and a watch that ends the run at
the first judged stage missing the SLO, so the report names the ceiling. Plain data, no Locust import.

The watch sees Locust's live counters (on the master, merged from the workers every few seconds), so
its cut is approximate; the report then judges every stage that ran exactly, from the raw rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loadtests.schedules import Stage


def climbing_levels(levels: tuple[float, ...], cap: float, factor: float = 1.5) -> tuple[float, ...]:
    """`levels`, then each further level `factor` × the last, up to and including `cap`."""
    if factor <= 1 or not levels or cap < max(levels):
        raise ValueError("climbing needs a factor > 1, levels, and a cap at least the highest level")
    climbed = list(levels)
    while climbed[-1] * factor <= cap:
        climbed.append(round(climbed[-1] * factor, 1))
    if climbed[-1] < cap:
        climbed.append(cap)
    return tuple(climbed)


@dataclass(frozen=True)
class Counters:
    """Requests and failures so far, and the response-time histogram (rounded ms → count)."""

    requests: int
    failures: int
    histogram: Mapping[int, int]


def window_p99(before: Mapping[int, int], after: Mapping[int, int]) -> float:
    """The 99th percentile of the responses counted between two histograms (0 when there were none)."""
    counts = sorted((ms, after[ms] - before.get(ms, 0)) for ms in after)
    total = sum(n for _, n in counts)
    if total <= 0:
        return 0.0
    seen = 0
    for ms, n in counts:
        seen += n
        if seen >= 0.99 * total:
            return float(ms)
    return float(counts[-1][0])


class CeilingWatch:
    """Told the current stage and given the live counters, says when a judged stage broke the SLO."""

    def __init__(self, p99_ms: float, max_error_ratio: float) -> None:
        self.p99_ms = p99_ms
        self.max_error_ratio = max_error_ratio
        self._stage: Stage | None = None
        self._start: Counters | None = None
        # The counters when the stage was entered: its window when no tick came between its judged_from
        # and its end (a master late by seconds), so that no measured stage passes unjudged.
        self._entered: Counters | None = None
        self.broken: str | None = None  # the label of the stage that broke the SLO, once one has

    def should_stop(self, stage: Stage | None, elapsed: float, counters: Callable[[], Counters]) -> bool:
        """Call once a tick; True once a measured stage's judged window missed the SLO."""
        if self.broken is not None:
            return True
        if stage is not self._stage:
            start = self._start if self._start is not None else self._entered
            if self._stage is not None and start is not None and self._missed(start, counters()):
                self.broken = self._stage.label
                return True
            self._stage, self._start = stage, None
            self._entered = counters() if stage is not None and stage.measured else None
        if stage is not None and stage.measured and self._start is None and elapsed >= stage.judged_from:
            self._start = counters()
        return False

    def _missed(self, start: Counters, end: Counters) -> bool:
        requests = end.requests - start.requests
        if requests <= 0:
            return True  # nothing came back in a whole stage: broken
        errors = (end.failures - start.failures) / requests
        return errors > self.max_error_ratio or window_p99(start.histogram, end.histogram) > self.p99_ms
