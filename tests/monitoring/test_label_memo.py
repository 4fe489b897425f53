"""Labels and metric series looked up once per label set: counts stay exact, the memo stays bounded."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from bus.monitoring import MonitoringSink, OperationalRecord
from bus.monitoring.labels import MEMO_SIZE, UNKNOWN, Labeller
from tests.in_process_stack import echo_catalog
from tests.monitoring.conftest import CLIENT, ECHO, transaction


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_repeated_and_distinct_label_sets_are_counted_in_their_own_series() -> None:
    sink = MonitoringSink(catalog=echo_catalog("TMON"))
    for _ in range(3):
        await sink.record(transaction())
    await sink.record(transaction(fault_type="Server.Provider.Timeout", status=504))

    registry = sink.metrics.registry
    ok = {"service": ECHO, "client": CLIENT, "status": "200", "fault_type": "none"}
    late = {"service": ECHO, "client": CLIENT, "status": "504", "fault_type": "Server.Provider.Timeout"}
    assert _value(registry, "lgsp_requests_total", **ok) == 3
    assert _value(registry, "lgsp_requests_total", **late) == 1
    assert _value(registry, "lgsp_request_duration_seconds_count", service=ECHO) == 4
    assert _value(registry, "lgsp_request_size_bytes_sum", service=ECHO) == 400


def test_a_flood_of_distinct_garbage_ids_keeps_the_memo_bounded_and_labels_right() -> None:
    labeller = Labeller(echo_catalog("TMON"))
    declared = OperationalRecord.from_transaction(transaction())
    assert labeller.service(declared) == ECHO
    for n in range(2 * MEMO_SIZE + 5):
        garbage = OperationalRecord.from_transaction(transaction(service=f"VN/GOV/HPG/TMON/Nope{n}/v1"))
        assert labeller.service(garbage) == UNKNOWN
    # The memo was emptied when full: a memoised id is only a cache, never a different answer.
    assert len(labeller._services) <= MEMO_SIZE
    assert labeller.service(declared) == ECHO
    assert labeller.client(declared) == CLIENT
