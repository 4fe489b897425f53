"""Prometheus families the bus keeps itself: plain numbers, no lock per increment.

prometheus_client guards each value with a lock: a histogram's observation took ≈ 10k instructions, a
summary's ≈ 8k, five per call. The gateway counts on its event loop and `/metrics` is collected on
that loop too, so these families add plain floats. Each collects exactly the samples prometheus_client's
Counter, Gauge, Histogram and Summary would (names, labels, values, `_created` unless
prometheus_client's created series are switched off), so the exposition stays byte for byte the same.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from prometheus_client import metrics as prometheus_metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString


def _created_series() -> bool:
    """Whether prometheus_client exposes `_created` samples (PROMETHEUS_DISABLE_CREATED_SERIES, or its
    disable_created_metrics(), turns them off)."""
    return bool(getattr(prometheus_metrics, "_use_created", True))


class CounterSeries:
    """One labelled counter."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        """Add `amount` (never negative)."""
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount


class HistogramSeries:
    """One labelled histogram: a count per bucket (not cumulated) and the sum."""

    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = bounds
        self.counts = [0.0] * len(bounds)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        """Count `amount` in the first bucket whose bound is not below it."""
        self.sum += amount
        index = bisect_left(self.bounds, amount)
        if index < len(self.bounds) and amount <= self.bounds[index]:  # NaN fits no bucket
            self.counts[index] += 1.0


class SummarySeries:
    """One labelled summary: how many observations and their sum."""

    __slots__ = ("count", "created", "sum")

    def __init__(self) -> None:
        self.count = 0.0
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        """Add one observation of `amount`."""
        self.count += 1.0
        self.sum += amount


class _Series(Protocol):
    created: float


S = TypeVar("S", bound=_Series)


class _Family(Collector, Generic[S]):
    """A metric family whose labelled series are made on first use and kept in that order; each collects
    its kind's samples, then `_created`."""

    kind = ""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._series: dict[tuple[str, ...], S] = {}

    def labels(self, *values: str) -> S:
        """The series of these label values (in `labelnames` order), made on first use."""
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = self._new_series()
        return series

    def describe(self) -> Iterable[Metric]:
        """The family without samples (what the registry checks names against)."""
        return [Metric(self.name, self.documentation, self.kind)]

    def collect(self) -> Iterable[Metric]:
        """The family with every series' samples."""
        metric = Metric(self.name, self.documentation, self.kind)
        created = _created_series()
        for values, series in list(self._series.items()):
            labels = dict(zip(self.labelnames, values, strict=True))
            self._add_samples(metric, labels, series)
            if created:
                metric.add_sample(self.name + "_created", dict(labels), series.created)
        return [metric]

    def _new_series(self) -> S:
        raise NotImplementedError

    def _add_samples(self, metric: Metric, labels: dict[str, str], series: S) -> None:
        raise NotImplementedError


class CounterFamily(_Family[CounterSeries]):
    """A labelled counter family (`<name>_total`, `<name>_created`)."""

    kind = "counter"

    def _new_series(self) -> CounterSeries:
        return CounterSeries()

    def _add_samples(self, metric: Metric, labels: dict[str, str], series: CounterSeries) -> None:
        metric.add_sample(self.name + "_total", labels, series.value)


class HistogramFamily(_Family[HistogramSeries]):
    """A labelled histogram family (`_bucket` cumulated, `_count`, `_sum`, `_created`)."""

    kind = "histogram"

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> None:
        super().__init__(name, documentation, labelnames)
        bounds = [float(bound) for bound in buckets]
        if bounds != sorted(bounds) or not bounds:
            raise ValueError("buckets must be given in increasing order")
        if bounds[-1] != INF:
            bounds.append(INF)
        self.bounds = tuple(bounds)
        self._le = [floatToGoString(bound) for bound in self.bounds]  # type: ignore[no-untyped-call]  # prometheus_client

    def _new_series(self) -> HistogramSeries:
        return HistogramSeries(self.bounds)

    def _add_samples(self, metric: Metric, labels: dict[str, str], series: HistogramSeries) -> None:
        total = 0.0
        for le, count in zip(self._le, series.counts, strict=True):
            total += count
            metric.add_sample(self.name + "_bucket", {**labels, "le": le}, total)
        metric.add_sample(self.name + "_count", dict(labels), total)
        if self.bounds[0] >= 0:  # a sum with negative observations is no counter
            metric.add_sample(self.name + "_sum", dict(labels), series.sum)


class SummaryFamily(_Family[SummarySeries]):
    """A labelled summary family without quantiles (`_count`, `_sum`, `_created`)."""

    kind = "summary"

    def _new_series(self) -> SummarySeries:
        return SummarySeries()

    def _add_samples(self, metric: Metric, labels: dict[str, str], series: SummarySeries) -> None:
        metric.add_sample(self.name + "_count", labels, series.count)
        metric.add_sample(self.name + "_sum", dict(labels), series.sum)


class Gauge(Collector):
    """An unlabelled gauge."""

    def __init__(self, name: str, documentation: str) -> None:
        self.name = name
        self.documentation = documentation
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Raise the gauge by `amount`."""
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        """Lower the gauge by `amount`."""
        self.value -= amount

    def describe(self) -> Iterable[Metric]:
        """The family without samples."""
        return [Metric(self.name, self.documentation, "gauge")]

    def collect(self) -> Iterable[Metric]:
        """The gauge's one sample."""
        metric = Metric(self.name, self.documentation, "gauge")
        metric.add_sample(self.name, {}, self.value)
        return [metric]
