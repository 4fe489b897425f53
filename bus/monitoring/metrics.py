"""Prometheus metrics of the gateway, in a registry of their own so several apps can share a process."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary

from bus.monitoring.intake import INTAKE_CLOSES
from bus.monitoring.labels import HealthSample
from bus.monitoring.records import OperationalRecord

# From a 1 ms cache hit to a 30 s national-system time-out.
DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0,
)  # fmt: skip


@dataclass(frozen=True)
class _ServiceSeries:
    """The labelled children one service's transactions feed (looked up once, not per request)."""

    request_duration: Histogram
    bus_duration: Histogram
    request_size: Summary
    response_size: Summary


class BusMetrics:
    """The `lgsp_*` metric families, registered in `registry` (a fresh one unless given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "lgsp_requests",
            "Transactions answered by the gateway.",
            ["service", "client", "status", "fault_type"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "lgsp_request_duration_seconds",
            "Request in to response out at the gateway.",
            ["service"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.bus_duration = Histogram(
            "lgsp_bus_duration_seconds",
            "Request out to response in: time on the bus, in the worker and with the provider.",
            ["service"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.request_size = Summary(
            "lgsp_request_size_bytes", "Size of request bodies.", ["service"], registry=self.registry
        )
        self.response_size = Summary(
            "lgsp_response_size_bytes", "Size of response bodies.", ["service"], registry=self.registry
        )
        self.in_flight = Gauge(
            "lgsp_in_flight_requests",
            "Service calls the gateway has received and not yet answered (see InFlightMiddleware).",
            registry=self.registry,
        )
        self.monitoring_write_failures = Counter(
            "lgsp_monitoring_write_failures",
            "Records the shared monitoring state could not keep (the call itself was answered).",
            registry=self.registry,
        )
        self.registry.register(INTAKE_CLOSES)
        # Labels are bounded by the Labeller (catalog ids, taxonomy types, HTTP statuses), so are these.
        self._counters: dict[tuple[str, str, int, str], Counter] = {}
        self._series: dict[str, _ServiceSeries] = {}

    def observe(self, record: OperationalRecord, sample: HealthSample, client: str) -> None:
        """Count one transaction and its durations and sizes, labelled by its health `sample`'s service and
        fault type (the labels and duration worked out once per record) and by its `client` label."""
        service = sample.service
        key = (service, client, record.status, sample.fault_type)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(
                service=key[0], client=key[1], status=str(key[2]), fault_type=key[3]
            )
        counter.inc()
        series = self._series.get(service)
        if series is None:
            series = self._series[service] = _ServiceSeries(
                self.request_duration.labels(service=service),
                self.bus_duration.labels(service=service),
                self.request_size.labels(service=service),
                self.response_size.labels(service=service),
            )
        series.request_duration.observe(sample.duration_ms / 1000)
        bus_ms = record.bus_duration_ms  # a computed field: worked out on each read
        if bus_ms is not None:
            series.bus_duration.observe(bus_ms / 1000)
        series.request_size.observe(record.request_size)
        series.response_size.observe(record.response_size)
