"""The bus's own metric families expose exactly what prometheus_client's Counter, Gauge, Histogram and
Summary would for the same observations, byte for byte, `_created` samples included."""

from __future__ import annotations

import math
from collections.abc import Iterator

import prometheus_client
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import metrics as prometheus_metrics

from bus.monitoring import series
from bus.monitoring.metrics import DURATION_BUCKETS, BusMetrics
from bus.monitoring.series import CounterFamily, Gauge, HistogramFamily, SummaryFamily

CREATED = 1_765_000_000.123456
DURATIONS = [0.0004, 0.001, 0.0011, 0.02, 0.7, 30.0, 31.5, 1e9, -0.5, 0.25, 0.1 + 0.2]
SIZES = [0, 1, 57, 1_048_576, 3]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both kinds of family stamp `_created` with the same clock."""
    monkeypatch.setattr(series.time, "time", lambda: CREATED)
    monkeypatch.setattr(prometheus_metrics.time, "time", lambda: CREATED)


@pytest.fixture(params=[True, False], ids=["created", "no-created"])
def created_series(request: pytest.FixtureRequest) -> Iterator[None]:
    """With prometheus_client's `_created` samples on (the default) and switched off."""
    if not request.param:
        prometheus_client.disable_created_metrics()
    try:
        yield
    finally:
        prometheus_client.enable_created_metrics()


def fed(registry_of_bus: bool) -> bytes:
    """The exposition of one counter, two histograms, a summary and a gauge fed the same observations,
    by the bus's families or by prometheus_client's."""
    registry = CollectorRegistry()
    labels = ["service", "client", "status", "fault_type"]
    if registry_of_bus:
        counter = CounterFamily("lgsp_requests", "Transactions answered.", labels)
        histogram = HistogramFamily(
            "lgsp_request_duration_seconds", "In to out.", ["service"], DURATION_BUCKETS
        )
        summary = SummaryFamily("lgsp_request_size_bytes", "Size of request bodies.", ["service"])
        gauge = Gauge("lgsp_in_flight_requests", "Calls in flight.")
        for family in (counter, histogram, summary, gauge):
            registry.register(family)
    else:
        counter = prometheus_client.Counter(
            "lgsp_requests", "Transactions answered.", labels, registry=registry
        )
        histogram = prometheus_client.Histogram(
            "lgsp_request_duration_seconds",
            "In to out.",
            ["service"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        summary = prometheus_client.Summary(
            "lgsp_request_size_bytes", "Size of request bodies.", ["service"], registry=registry
        )
        gauge = prometheus_client.Gauge("lgsp_in_flight_requests", "Calls in flight.", registry=registry)
    services = ["VN/GOV/HPG/LGSP/Echo/v1", "unknown", 'a "quoted"\\ label\n']
    for index, duration in enumerate(DURATIONS):
        service = services[index % len(services)]
        counter.labels(service, "VN/GOV/HPG/STP", str(200 + index % 2), "none").inc()
        histogram.labels(service).observe(duration)
        summary.labels(service).observe(SIZES[index % len(SIZES)])
        gauge.inc()
        if index % 3:
            gauge.dec()
    return generate_latest(registry)


def test_the_bus_families_expose_what_prometheus_clients_would(created_series: None) -> None:
    assert fed(registry_of_bus=True) == fed(registry_of_bus=False)


def test_nan_counts_in_no_bucket_but_in_the_sum_as_prometheus_client_does() -> None:
    ours = HistogramFamily("h", "h", ["service"], DURATION_BUCKETS)
    ours.labels("s").observe(math.nan)
    registry = CollectorRegistry()
    theirs = prometheus_client.Histogram("h", "h", ["service"], buckets=DURATION_BUCKETS, registry=registry)
    theirs.labels("s").observe(math.nan)
    registry_of_bus = CollectorRegistry()
    registry_of_bus.register(ours)
    assert generate_latest(registry_of_bus) == generate_latest(registry)


def test_a_counter_refuses_a_negative_increment() -> None:
    with pytest.raises(ValueError):
        CounterFamily("c", "c", ["x"]).labels("a").inc(-1)


def test_buckets_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError):
        HistogramFamily("h", "h", ["service"], [0.5, 0.1])


def test_bus_metrics_expose_their_families_in_the_order_they_always_had() -> None:
    exposition = generate_latest(BusMetrics().registry).decode()
    types = [line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE")]
    assert types == [
        "lgsp_requests_total",
        "lgsp_request_duration_seconds",
        "lgsp_bus_duration_seconds",
        "lgsp_request_size_bytes",
        "lgsp_response_size_bytes",
        "lgsp_in_flight_requests",
        "lgsp_monitoring_write_failures_total",
        "lgsp_monitoring_write_failures_created",
        "lgsp_intake_closed_connections_total",
    ]
