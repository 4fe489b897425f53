"""The sink: bounded labels, a failing state never fails the call, and a real gateway feeds it."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from prometheus_client import CollectorRegistry

from bus.monitoring import MemoryMonitoringState, MonitoringSink, OperationalRecord, ServiceHealth
from bus.monitoring.labels import HealthSample, Labeller
from tests.in_process_stack import KEY, echo_catalog, running_stack
from tests.monitoring.conftest import CLIENT, ECHO, transaction

STP = {"X-Road-Client": CLIENT, "X-API-Key": KEY}
BODY = b'{"a": 1}'


def _sample_value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_undeclared_and_malformed_services_are_aggregated_under_unknown() -> None:
    catalog = echo_catalog("TMON")
    sink = MonitoringSink(catalog=catalog)
    await sink.record(transaction(service=ECHO))
    undeclared = "VN/GOV/HPG/TMON/NotDeclared/v1"
    await sink.record(transaction(service=undeclared, fault_type="Client.UnknownService", status=404))
    await sink.record(transaction(service="garbage/../x", fault_type="Client.BadRequest", status=400))

    report = {h.service: h.request_count for h in await sink.health()}
    kept = {r.service for r in await sink.latest(limit=10)}

    assert report == {ECHO: 1, "unknown": 2}
    assert "garbage/../x" in kept  # the record itself keeps what arrived


async def test_a_rejected_callers_client_claim_is_not_used_as_a_label() -> None:
    sink = MonitoringSink()
    await sink.record(transaction(client=CLIENT, fault_type="Client.Unauthenticated", status=401))
    await sink.record(transaction(client=CLIENT))

    registry = sink.metrics.registry
    unauthenticated = {"service": ECHO, "status": "401", "fault_type": "Client.Unauthenticated"}
    assert _sample_value(registry, "lgsp_requests_total", client="unknown", **unauthenticated) == 1
    assert _sample_value(registry, "lgsp_requests_total", client=CLIENT, **unauthenticated) == 0
    ok = {"service": ECHO, "client": CLIENT, "status": "200", "fault_type": "none"}
    assert _sample_value(registry, "lgsp_requests_total", **ok) == 1


async def test_an_unrecognised_fault_type_is_counted_as_other() -> None:
    sink = MonitoringSink()
    await sink.record(transaction(fault_type="Provider.SaidSomethingOdd"))
    (health,) = await sink.health()
    assert health.faults == {"other": 1}


class _BrokenState(MemoryMonitoringState):
    """A state whose writes fail, or hang, the way an unreachable or stalled Redis does."""

    def __init__(self, *, hang: bool) -> None:
        super().__init__()
        self.hang = hang

    async def add(self, record: OperationalRecord, sample: HealthSample) -> None:
        if self.hang:
            await asyncio.Event().wait()
        raise ConnectionError("state unreachable")

    async def health(self) -> list[ServiceHealth]:
        return []

    async def latest(
        self,
        *,
        limit: int,
        service: str | None = None,
        since: datetime | None = None,
        issue: str | None = None,
    ) -> list[OperationalRecord]:
        return []


@pytest.mark.parametrize("hang", [False, True], ids=["raising", "hanging"])
async def test_a_failing_state_neither_fails_nor_stalls_the_call_and_is_counted(hang: bool) -> None:
    sink = MonitoringSink(_BrokenState(hang=hang), write_timeout=0.05)

    await asyncio.wait_for(sink.record(transaction()), 2)

    registry = sink.metrics.registry
    assert _sample_value(registry, "lgsp_monitoring_write_failures_total") == 1
    assert _sample_value(registry, "lgsp_request_duration_seconds_count", service=ECHO) == 1


async def test_the_in_process_state_is_written_without_a_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_timer(delay: float | None) -> asyncio.Timeout:
        raise AssertionError("the in-process state cannot stall; it needs no timer")

    monkeypatch.setattr("bus.monitoring.sink.asyncio.timeout", no_timer)
    sink = MonitoringSink(MemoryMonitoringState())

    await sink.record(transaction())

    assert _sample_value(sink.metrics.registry, "lgsp_monitoring_write_failures_total") == 0
    assert [h.request_count for h in await sink.health()] == [1]


def test_a_write_timeout_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="write_timeout"):
        MonitoringSink(write_timeout=0)


async def test_gateway_transactions_feed_health_records_and_metrics() -> None:
    sink = MonitoringSink()
    async with running_stack(None, sinks=[sink]) as stack:
        sink.labeller = Labeller(stack.catalog)
        echo, failing = str(stack.service("Echo").id), str(stack.service("Failing").id)
        for _ in range(2):
            sent = await stack.client.post(
                stack.url("Echo"), content=BODY, headers={**STP, "content-type": "application/json"}
            )
            assert sent.status_code == 200
        assert (await stack.client.post(stack.url("Failing"), json={}, headers=STP)).status_code == 502
        wrong_key = {**STP, "X-API-Key": "nope"}
        assert (await stack.client.post(stack.url("Echo"), json={}, headers=wrong_key)).status_code == 401

    health = {h.service: h for h in await sink.health()}
    assert (health[echo].request_count, health[echo].failure_count) == (3, 1)
    assert health[echo].faults == {"Client.Unauthenticated": 1}
    assert health[echo].successful_duration_ms is not None
    assert health[echo].last_success is not None and health[echo].last_failure is not None
    assert health[failing].request_count == 1
    assert health[failing].faults == {"Server.Provider.InternalError": 1}

    newest = (await sink.latest(limit=10))[0]
    assert newest.status == 401 and newest.request_out is None  # never reached the bus
    (failed,) = await sink.latest(limit=10, service=failing)
    assert failed.worker == "test-worker" and failed.bus_duration_ms is not None
    assert failed.request_out is not None and failed.response_in is not None
    assert failed.request_in <= failed.request_out <= failed.response_in <= failed.response_out

    registry = sink.metrics.registry
    assert _sample_value(registry, "lgsp_bus_duration_seconds_count", service=echo) == 2
    assert _sample_value(registry, "lgsp_request_size_bytes_sum", service=echo) == 2 * len(BODY)
