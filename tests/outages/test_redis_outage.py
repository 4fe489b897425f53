"""A Redis outage, feature by feature, through a fault proxy (the machine's Redis is never stopped):

- idempotency: a new idempotent call is refused with 503 Server.Bus.Unavailable (never run without its
  key check); an answer due while Redis is out reaches its caller and is stored once Redis is back, so
  the key never runs twice;
- workers wait for the store instead of failing (no redelivery storm into the DLQ, no second call);
- rate limits fall back to per-gateway buckets (still enforced, never a 500);
- the transaction log spools records and appends them after the outage (none lost);
- monitoring drops its records (counted) rather than fail a call, also when they ride in the log's append.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import JsonValue

from bus.envelope import Envelope
from bus.errors import BusUnavailable
from bus.gateway.ratelimit import RedisRateLimiter
from bus.gateway.record_sink import record_sinks
from bus.gateway.settings import GatewaySettings
from bus.monitoring import make_monitoring_sink
from bus.monitoring.settings import MonitoringSettings
from bus.store import MemoryStore, RedisStore, Store
from bus.store.patient import PatientStore
from bus.transaction import TransactionSink
from bus.transport import make_transport
from bus.txlog import RedisTransactionLog, TransactionLogSink, TxLogSettings
from bus.worker import Worker
from tests.gateway.conftest import LIMITED, STP, CountingAdapter, gateway_catalog
from tests.outages.stack import CountedBus, counted_bus, gateway_app
from tests.store.conftest import delete_prefixed
from tests.support.fault_proxy import FaultProxy

pytestmark = [pytest.mark.redis]

# Short socket time-outs, so a black-holed Redis is noticed in a test's time.
QUICK = "socket_timeout=0.5&socket_connect_timeout=0.5"


def quick(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{QUICK}"


@pytest.fixture
def prefix() -> str:
    return f"lgsp-test:outage:{secrets.token_hex(6)}:"


@pytest.fixture
async def cleanup(redis_url: str, prefix: str) -> AsyncIterator[None]:
    yield
    await delete_prefixed(redis_url, prefix)


@asynccontextmanager
async def gateway(
    bus: CountedBus,
    store: Store,
    *,
    limiter: RedisRateLimiter | None = None,
    sinks: list[TransactionSink] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(idempotency_poll_seconds=0.02, drain_seconds=2)
    app, router = gateway_app(bus.catalog, bus.transport, settings, store, limiter, sinks or [])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            yield client
    finally:
        await router.drain()


async def test_store_refuses_fast_with_bus_unavailable_when_cut_or_black_holed_and_recovers(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    store = RedisStore(quick(redis_proxy.url(redis_url)), prefix=prefix)
    try:
        await store.set("k", b"v")
        for fault in (redis_proxy.cut, redis_proxy.black_hole):
            fault()
            started = time.monotonic()
            with pytest.raises(BusUnavailable):
                await store.get("k")
            assert time.monotonic() - started < 3.0  # socket time-out 0.5 s, a few retries at most
            redis_proxy.restore()
            assert await store.get("k") == b"v"
    finally:
        await store.close()


async def test_idempotent_call_is_refused_with_503_while_redis_is_out_and_runs_once_after(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    async with counted_bus() as bus:
        store = RedisStore(quick(redis_proxy.url(redis_url)), prefix=prefix)
        async with gateway(bus, store) as client:
            redis_proxy.cut()
            headers = {**STP, "Idempotency-Key": "outage-1"}
            refused = await client.post(bus.url("Count"), json={"n": 1}, headers=headers)
            assert refused.status_code == 503
            assert refused.json()["type"] == "Server.Bus.Unavailable"
            assert bus.count.calls == 0  # never run without its key check
            redis_proxy.restore()
            first = await client.post(bus.url("Count"), json={"n": 1}, headers=headers)
            again = await client.post(bus.url("Count"), json={"n": 1}, headers=headers)
        await store.close()
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert bus.count.calls == 1


async def test_answer_due_while_redis_is_out_is_stored_once_it_is_back_so_the_key_never_runs_twice(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    headers = {**STP, "Idempotency-Key": "outage-2"}
    async with counted_bus() as bus:
        answer = bus.count.handle

        async def cut_then_answer(request: Envelope) -> JsonValue:
            redis_proxy.cut()  # Redis goes while the provider works: the key was taken, the answer is due
            return await answer(request)

        bus.count.handle = cut_then_answer  # type: ignore[method-assign]
        store = RedisStore(quick(redis_proxy.url(redis_url)), prefix=prefix)
        async with gateway(bus, store) as client:
            first = await client.post(bus.url("Count"), json={"n": 2}, headers=headers)
            bus.count.handle = answer  # type: ignore[method-assign]
            # A retry while Redis is still out cannot check its key: refused, not run.
            during = await client.post(bus.url("Count"), json={"n": 2}, headers=headers)
            redis_proxy.restore()
            await asyncio.sleep(0.5)  # the settlement retried in the background lands
        await store.close()
        # Another replica, straight to Redis: the stored answer is there.
        other = RedisStore(redis_url, prefix=prefix)
        async with gateway(bus, other) as client:
            after = await client.post(bus.url("Count"), json={"n": 2}, headers=headers)
        await other.close()
    assert first.status_code == after.status_code == 200  # the success is answered as one
    assert during.status_code == 503 and during.json()["type"] == "Server.Bus.Unavailable"
    assert after.headers["idempotent-replayed"] == "true"
    assert first.json() == after.json()
    assert bus.count.calls == 1


async def test_worker_waits_out_a_redis_outage_and_every_call_runs_once_without_dead_letters(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    subsystem = "W" + secrets.token_hex(4).upper()
    catalog = gateway_catalog(subsystem)
    transport = make_transport(None)
    await transport.connect()
    count = CountingAdapter(0.2)
    bus = CountedBus(catalog, transport, subsystem, count)
    # The worker's completed-work records, work leases and breakers are in Redis, behind the proxy.
    store = RedisStore(quick(redis_proxy.url(redis_url)), prefix=prefix)
    served = [str(s.id) for s in catalog.services if s.id.service_code == "Count"]
    worker = Worker(catalog, transport, {"count": count}, name="patient", only=served, store=store)
    await worker.start()
    try:
        async with gateway(bus, MemoryStore()) as client:
            calls = [
                asyncio.ensure_future(client.post(bus.url("Count"), json={"i": i}, headers=STP))
                for i in range(10)
            ]
            await asyncio.sleep(0.05)
            redis_proxy.cut()
            await asyncio.sleep(1.5)
            redis_proxy.restore()
            answers = await asyncio.gather(*calls)
    finally:
        await worker.stop()
        await transport.close()
        await store.close()
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert count.calls == 10
    assert worker.stats["dead_lettered"] == 0
    assert isinstance(worker.store, PatientStore) and worker.store.waits >= 1


async def test_rate_limits_hold_per_gateway_while_redis_is_out(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    limiter = RedisRateLimiter(quick(redis_proxy.url(redis_url)), prefix=prefix)
    async with counted_bus() as bus, gateway(bus, MemoryStore(), limiter=limiter) as client:
        redis_proxy.cut()
        statuses = [
            (await client.post(bus.url("Count"), json={}, headers=LIMITED)).status_code for _ in range(5)
        ]
    await limiter.close()
    # LIMITED's burst is 3: the in-process buckets let three through and refuse the rest with 429.
    assert statuses == [200, 200, 200, 429, 429]
    assert limiter.local_decisions == 5


async def test_transaction_log_spools_during_the_outage_and_loses_no_record(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None, tmp_path: Path
) -> None:
    settings = TxLogSettings(redis_url=quick(redis_proxy.url(redis_url)), stream_key=f"{prefix}txlog")
    spool = tmp_path / "txlog.spool"
    sink = TransactionLogSink(RedisTransactionLog(settings), spool_path=spool)
    async with counted_bus() as bus, gateway(bus, MemoryStore(), sinks=[sink]) as client:
        assert (await client.post(bus.url("Count"), json={"n": 0}, headers=STP)).status_code == 200
        redis_proxy.cut()
        during = [await client.post(bus.url("Count"), json={"n": n}, headers=STP) for n in range(1, 4)]
        assert [a.status_code for a in during] == [200, 200, 200]
        assert len(sink.spool) == 3 and len(spool.read_text().splitlines()) == 3
        # The gateway dies during the outage; its successor takes the spool file over.
        await sink.close()
    successor = TransactionLogSink(RedisTransactionLog(settings), spool_path=spool)
    await successor.connect()
    redis_proxy.restore()
    for _ in range(50):
        if not len(successor.spool):
            break
        await asyncio.sleep(0.1)
    log = RedisTransactionLog(TxLogSettings(redis_url=redis_url, stream_key=f"{prefix}txlog"))
    entries = [entry async for entry in log.entries()]
    report = await log.verify()
    await successor.close()
    await log.close()
    assert len(successor.spool) == 0 and spool.read_text() == ""
    assert len(entries) == 4 and report.ok, report.findings
    assert [e.transaction_id for e in entries[1:]] == [a.headers["x-road-id"] for a in during]


async def test_monitoring_drops_and_counts_its_records_while_redis_is_out_and_calls_still_succeed(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    settings = MonitoringSettings(key_prefix=f"{prefix}mon:", write_timeout=0.5)
    sink = make_monitoring_sink(quick(redis_proxy.url(redis_url)), settings=settings)
    failures = sink.metrics.monitoring_write_failures
    before = failures._value.get()
    async with counted_bus() as bus, gateway(bus, MemoryStore(), sinks=[sink]) as client:
        redis_proxy.cut()
        answer = await client.post(bus.url("Count"), json={}, headers=STP)
    assert answer.status_code == 200
    assert failures._value.get() == before + 1


async def test_log_and_monitoring_on_one_redis_spool_and_count_the_lost_records_while_it_is_out(
    redis_url: str, redis_proxy: FaultProxy, prefix: str, cleanup: None
) -> None:
    url = quick(redis_proxy.url(redis_url))
    txlog = TransactionLogSink(RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=f"{prefix}txlog")))
    monitoring = make_monitoring_sink(url, settings=MonitoringSettings(key_prefix=f"{prefix}mon:"))
    sinks = record_sinks(txlog, monitoring)
    assert len(sinks) == 1  # the monitoring record rides in the log's append
    failures = monitoring.metrics.monitoring_write_failures
    before = failures._value.get()
    async with counted_bus() as bus, gateway(bus, MemoryStore(), sinks=sinks) as client:
        assert (await client.post(bus.url("Count"), json={"n": 0}, headers=STP)).status_code == 200
        redis_proxy.cut()
        during = [await client.post(bus.url("Count"), json={"n": n}, headers=STP) for n in range(1, 3)]
        assert [a.status_code for a in during] == [200, 200]
        assert len(txlog.spool) == 2
        # The ride never left: monitoring tried on its own, and counted each record it could not keep.
        assert failures._value.get() == before + 2
        redis_proxy.restore()
        for _ in range(50):
            if not len(txlog.spool):
                break
            await asyncio.sleep(0.1)
    assert len(txlog.spool) == 0
    entries = [entry async for entry in txlog.log.entries()]
    assert [e.sequence for e in entries] == [1, 2, 3] and (await txlog.log.verify()).ok
    (health,) = await monitoring.health()
    assert health.request_count == 1
    await txlog.close()
    await monitoring.close()
