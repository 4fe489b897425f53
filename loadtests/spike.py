"""How the platform coped with a spike: peak rate reached, errors and p99 before and during, recovery time."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from loadtests.figures import Rows, bus_requests
from loadtests.schedules import Stage


class SpikeFigures(BaseModel):
    """A spike run's before/during/after figures over bus requests (by finish time)."""

    target_tx_s: float
    peak_tx_s: float
    before_requests: int
    before_error_ratio: float
    before_p99_ms: float
    spike_requests: int
    spike_tx_s: float
    spike_error_ratio: float
    spike_p99_ms: float
    after_p99_ms: float
    recovery_s: float | None

    def lines(self) -> list[str]:
        """The spike summary, one sentence a line."""
        recovered = (
            f"p99 back at or below the pre-spike {self.before_p99_ms:.0f} ms within {self.recovery_s:g} s "
            "of the spike's end"
            if self.recovery_s is not None
            else f"p99 not back at the pre-spike {self.before_p99_ms:.0f} ms before the run ended"
        )
        return [
            f"Spike: peak {self.peak_tx_s:g} tx/s reached (1-s buckets), "
            f"target {self.target_tx_s:g} scenarios/s.",
            f"Before: {self.before_requests} requests, {100 * self.before_error_ratio:.2f} % errors, "
            f"p99 {self.before_p99_ms:.0f} ms. During: {self.spike_requests} requests "
            f"({self.spike_tx_s:g} tx/s), "
            f"{100 * self.spike_error_ratio:.2f} % errors, p99 {self.spike_p99_ms:.0f} ms.",
            f"After: p99 {self.after_p99_ms:.0f} ms; {recovered}.",
        ]


def _window(rows: Rows, through_bus: np.ndarray, start: float, end: float) -> tuple[int, float, float]:
    """Requests, error ratio and p99 ms of the bus requests finished in [start, end)."""
    inside = (rows.t >= start) & (rows.t < end) & through_bus
    count = int(inside.sum())
    if not count:
        return 0, 0.0, 0.0
    return count, float((rows.ok[inside] == 0).sum()) / count, float(np.percentile(rows.ms[inside], 99))


def spike_figures(rows: Rows, stages: list[Stage], window: float = 2.0) -> SpikeFigures | None:
    """The spike's figures when the schedule has `before`, `spike` and `after` stages, else None.

    Recovery is the end of the first `window`-second slice after the spike whose p99 is at or below the
    pre-spike p99 (judged window of `before`), counted from the spike's end.
    """
    by_label = {s.label: s for s in stages}
    if not {"before", "spike", "after"} <= by_label.keys():
        return None
    before, peak, after = by_label["before"], by_label["spike"], by_label["after"]
    through_bus = bus_requests(rows)
    before_n, before_err, before_p99 = _window(rows, through_bus, before.judged_from, before.end)
    spike_n, spike_err, spike_p99 = _window(rows, through_bus, peak.start, peak.end)
    _, _, after_p99 = _window(rows, through_bus, after.start, after.end)
    in_spike = rows.t[through_bus & (rows.t >= peak.start) & (rows.t < peak.end)]
    per_second = np.bincount((in_spike - peak.start).astype(int)) if in_spike.size else np.zeros(1)
    recovery: float | None = None
    start = after.start
    while start < after.end and before_n:
        end = min(start + window, after.end)
        count, _, p99 = _window(rows, through_bus, start, end)
        if count and p99 <= before_p99:
            recovery = round(end - peak.end, 3)
            break
        start = end
    return SpikeFigures(
        target_tx_s=peak.rate,
        peak_tx_s=float(per_second.max()),
        before_requests=before_n,
        before_error_ratio=before_err,
        before_p99_ms=before_p99,
        spike_requests=spike_n,
        spike_tx_s=round(spike_n / (peak.end - peak.start), 2),
        spike_error_ratio=spike_err,
        spike_p99_ms=spike_p99,
        after_p99_ms=after_p99,
        recovery_s=recovery,
    )
