"""Prometheus metrics of the gateway, in a registry of their own so several apps can share a process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary

from bus.monitoring.labels import Labeller
from bus.monitoring.records import OperationalRecord

# From a 1 ms cache hit to a 30 s national-system time-out.
DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0,
)  # fmt: skip


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

    def observe(self, record: OperationalRecord, labeller: Labeller) -> None:
        """Count one transaction and its durations and sizes."""
        service = labeller.service(record)
        self.requests.labels(
            service=service,
            client=labeller.client(record),
            status=str(record.status),
            fault_type=labeller.fault(record),
        ).inc()
        self.request_duration.labels(service=service).observe(record.duration_ms / 1000)
        if record.bus_duration_ms is not None:
            self.bus_duration.labels(service=service).observe(record.bus_duration_ms / 1000)
        self.request_size.labels(service=service).observe(record.request_size)
        self.response_size.labels(service=service).observe(record.response_size)
