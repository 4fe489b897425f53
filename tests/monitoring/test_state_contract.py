"""One contract for the memory and Redis monitoring states, driven through the sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from bus.monitoring import MonitoringSink, MonitoringState, ServiceHealth
from tests.monitoring.conftest import ECHO, LOOKUP, T0, transaction

MakeState = Callable[..., MonitoringState]


async def _health_of(sink: MonitoringSink, service: str) -> ServiceHealth:
    return next(h for h in await sink.health() if h.service == service)


async def test_health_counts_requests_and_failures_per_service(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    for fault in (None, None, "Server.Provider.Timeout"):
        await sink.record(transaction(service=ECHO, fault_type=fault))
    await sink.record(transaction(service=LOOKUP))

    report = await sink.health()

    assert [h.service for h in report] == sorted([ECHO, LOOKUP])
    echo = await _health_of(sink, ECHO)
    assert (echo.request_count, echo.failure_count) == (3, 1)
    lookup = await _health_of(sink, LOOKUP)
    assert (lookup.request_count, lookup.failure_count) == (1, 0)


async def test_durations_are_min_avg_max_of_successful_requests_only(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    for ms in (12.5, 40.0, 3.25):
        await sink.record(transaction(duration_ms=ms))
    await sink.record(transaction(duration_ms=30_000.0, fault_type="Server.Bus.Timeout"))

    stats = (await _health_of(sink, ECHO)).successful_duration_ms

    assert stats is not None
    assert stats.min == pytest.approx(3.25)
    assert stats.max == pytest.approx(40.0)
    assert stats.avg == pytest.approx((12.5 + 40.0 + 3.25) / 3)


async def test_service_with_only_failures_has_no_duration_figures(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    await sink.record(transaction(fault_type="Server.Provider.InternalError"))

    health = await _health_of(sink, ECHO)

    assert health.successful_duration_ms is None
    assert health.last_success is None
    assert health.last_failure == T0


async def test_last_success_and_failure_are_the_latest_even_when_recorded_out_of_order(
    make_state: MakeState,
) -> None:
    sink = MonitoringSink(make_state())
    later, earlier = T0 + timedelta(minutes=5), T0 + timedelta(minutes=1)
    await sink.record(transaction(start=later))
    await sink.record(transaction(start=earlier))
    await sink.record(transaction(start=earlier, fault_type="Client.AccessDenied", status=403))
    await sink.record(transaction(start=T0, fault_type="Client.AccessDenied", status=403))

    health = await _health_of(sink, ECHO)

    assert health.last_success == later
    assert health.last_failure == earlier


async def test_failures_are_counted_by_fault_type(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    faults = ["Server.Bus.Timeout", "Server.Bus.Timeout", "Server.Provider.Rejected", None]
    for fault in faults:
        await sink.record(transaction(fault_type=fault))

    health = await _health_of(sink, ECHO)

    assert health.faults == {"Server.Bus.Timeout": 2, "Server.Provider.Rejected": 1}


async def test_ring_keeps_only_the_latest_records_newest_first(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state(records_kept=3))
    sent = [transaction(start=T0 + timedelta(seconds=i)) for i in range(5)]
    for record in sent:
        await sink.record(record)

    kept = await sink.latest(limit=10)

    assert [r.transaction_id for r in kept] == [r.transaction_id for r in reversed(sent[2:])]
    assert (await _health_of(sink, ECHO)).request_count == 5  # aggregates outlive the ring


async def test_records_arriving_at_once_are_each_counted_and_kept_in_order(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state(records_kept=10))
    sent = [
        transaction(
            service=(ECHO, LOOKUP)[i % 2],
            start=T0 + timedelta(seconds=i),
            duration_ms=float(i + 1),
            fault_type="Server.Provider.Timeout" if i % 3 == 0 else None,
        )
        for i in range(30)
    ]
    await asyncio.wait_for(asyncio.gather(*(sink.record(record) for record in sent)), 10)

    kept = await sink.latest(limit=30)
    assert [r.transaction_id for r in kept] == [r.transaction_id for r in reversed(sent[20:])]
    for parity, service in enumerate((ECHO, LOOKUP)):
        mine = [i for i in range(30) if i % 2 == parity]
        ok = [i + 1.0 for i in mine if i % 3 != 0]
        health = await _health_of(sink, service)
        assert (health.request_count, health.failure_count) == (15, 15 - len(ok))
        assert health.faults == {"Server.Provider.Timeout": 15 - len(ok)}
        assert health.successful_duration_ms is not None
        assert (health.successful_duration_ms.min, health.successful_duration_ms.max) == (min(ok), max(ok))
        assert health.last_success == T0 + timedelta(seconds=max(ok) - 1)


async def test_latest_filters_by_service_and_since_and_stops_at_limit(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    sent = [transaction(service=ECHO if i % 2 else LOOKUP, start=T0 + timedelta(seconds=i)) for i in range(8)]
    for record in sent:
        await sink.record(record)
    since = T0 + timedelta(seconds=3)

    echo_since = await sink.latest(limit=100, service=ECHO, since=since)
    newest_two = await sink.latest(limit=2)
    one_lookup = await sink.latest(limit=1, service=LOOKUP)

    assert [r.transaction_id for r in echo_since] == [sent[i].transaction_id for i in (7, 5, 3)]
    assert [r.transaction_id for r in newest_two] == [sent[7].transaction_id, sent[6].transaction_id]
    assert [r.transaction_id for r in one_lookup] == [sent[6].transaction_id]


async def test_latest_lists_one_dossier_s_transactions_across_services(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    sent = [
        transaction(service=(ECHO, LOOKUP)[i % 2], start=T0 + timedelta(seconds=i)).model_copy(
            update={"issue": f"HS-{i % 3}"}
        )
        for i in range(9)
    ]
    for record in sent:
        await sink.record(record)

    dossier = await sink.latest(limit=100, issue="HS-1")
    lookups = await sink.latest(limit=100, issue="HS-1", service=LOOKUP)

    assert [r.transaction_id for r in dossier] == [sent[i].transaction_id for i in (7, 4, 1)]
    assert {r.service for r in dossier} == {ECHO, LOOKUP}
    assert [r.transaction_id for r in lookups] == [sent[i].transaction_id for i in (7, 1)]
    assert await sink.latest(limit=100, issue="HS-9") == []


async def test_kept_records_carry_timings_but_not_subjects_or_hashes(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    await sink.record(transaction(duration_ms=50.0, bus_ms=30.0, subjects=("031090000001",)))

    (kept,) = await sink.latest(limit=1)
    dumped = kept.model_dump()

    assert kept.duration_ms == pytest.approx(50.0)
    assert kept.bus_duration_ms == pytest.approx(30.0)
    assert "subjects" not in dumped and "request_sha256" not in dumped
    assert "031090000001" not in kept.model_dump_json()


@pytest.mark.parametrize("limit", [0, -1])
async def test_latest_rejects_a_limit_below_one(make_state: MakeState, limit: int) -> None:
    sink = MonitoringSink(make_state())
    with pytest.raises(ValueError, match="limit"):
        await sink.latest(limit=limit)


async def test_latest_rejects_a_since_without_time_zone(make_state: MakeState) -> None:
    sink = MonitoringSink(make_state())
    await sink.record(transaction())
    with pytest.raises(ValueError, match="time zone"):
        await sink.latest(limit=5, since=T0.replace(tzinfo=None))
    assert len(await sink.latest(limit=5)) == 1


@pytest.mark.parametrize("records_kept", [0, -5, True])
def test_a_ring_that_cannot_hold_a_record_is_refused(make_state: MakeState, records_kept: int) -> None:
    with pytest.raises(ValueError, match="records kept"):
        make_state(records_kept=records_kept)
