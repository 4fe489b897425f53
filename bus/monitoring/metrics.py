"""Prometheus metrics of the gateway, in a registry of their own so several apps can share a process.

The families fed on every call are the bus's own (bus.monitoring.series: no lock per increment); they
expose what prometheus_client's would."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from bus.monitoring.intake import INTAKE_CLOSES
from bus.monitoring.labels import HealthSample
from bus.monitoring.records import OperationalRecord
from bus.monitoring.series import (
    CounterFamily,
    CounterSeries,
    Gauge,
    HistogramFamily,
    HistogramSeries,
    SummaryFamily,
    SummarySeries,
)

# From a 1 ms cache hit to a 30 s national-system time-out.
DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0,
)  # fmt: skip


@dataclass(frozen=True)
class _ServiceSeries:
    """The labelled children one service's transactions feed (looked up once, not per request)."""

    request_duration: HistogramSeries
    bus_duration: HistogramSeries
    request_size: SummarySeries
    response_size: SummarySeries


class BusMetrics:
    """The `lgsp_*` metric families, registered in `registry` (a fresh one unless given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = CounterFamily(
            "lgsp_requests",
            "Transactions answered by the gateway.",
            ["service", "client", "status", "fault_type"],
        )
        self.request_duration = HistogramFamily(
            "lgsp_request_duration_seconds",
            "Request in to response out at the gateway.",
            ["service"],
            buckets=DURATION_BUCKETS,
        )
        self.bus_duration = HistogramFamily(
            "lgsp_bus_duration_seconds",
            "Request out to response in: time on the bus, in the worker and with the provider.",
            ["service"],
            buckets=DURATION_BUCKETS,
        )
        self.request_size = SummaryFamily("lgsp_request_size_bytes", "Size of request bodies.", ["service"])
        self.response_size = SummaryFamily(
            "lgsp_response_size_bytes", "Size of response bodies.", ["service"]
        )
        self.in_flight = Gauge(
            "lgsp_in_flight_requests",
            "Service calls the gateway has received and not yet answered (see InFlightMiddleware).",
        )
        for family in (
            self.requests,
            self.request_duration,
            self.bus_duration,
            self.request_size,
            self.response_size,
            self.in_flight,
        ):
            self.registry.register(family)
        self.monitoring_write_failures = Counter(
            "lgsp_monitoring_write_failures",
            "Records the shared monitoring state could not keep (the call itself was answered).",
            registry=self.registry,
        )
        self.registry.register(INTAKE_CLOSES)
        # Labels are bounded by the Labeller (catalog ids, taxonomy types, HTTP statuses), so are these.
        self._counters: dict[tuple[str, str, int, str], CounterSeries] = {}
        self._series: dict[str, _ServiceSeries] = {}

    def observe(self, record: OperationalRecord, sample: HealthSample, client: str) -> None:
        """Count one transaction and its durations and sizes, labelled by its health `sample`'s service and
        fault type (the labels and duration worked out once per record) and by its `client` label."""
        service = sample.service
        key = (service, client, record.status, sample.fault_type)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(service, client, str(key[2]), key[3])
        counter.inc()
        series = self._series.get(service)
        if series is None:
            series = self._series[service] = _ServiceSeries(
                self.request_duration.labels(service),
                self.bus_duration.labels(service),
                self.request_size.labels(service),
                self.response_size.labels(service),
            )
        series.request_duration.observe(sample.duration_ms / 1000)
        bus_ms = record.bus_duration_ms  # a computed field: worked out on each read
        if bus_ms is not None:
            series.bus_duration.observe(bus_ms / 1000)
        series.request_size.observe(record.request_size)
        series.response_size.observe(record.response_size)
