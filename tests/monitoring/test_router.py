"""The monitoring routes: Prometheus text, health, records with filters and bounds, and their errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException, params
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from starlette.types import Receive, Scope, Send

from bus.gateway.app import create_gateway
from bus.monitoring import (
    InFlightMiddleware,
    MonitoringSink,
    RedisMonitoringState,
    monitoring_router,
)
from bus.monitoring.router import MAX_PAGE
from bus.transport import make_transport
from tests.in_process_stack import echo_catalog
from tests.monitoring.conftest import CLIENT, ECHO, LOOKUP, T0, transaction


@asynccontextmanager
async def _serving(
    sink: MonitoringSink, dependencies: Sequence[params.Depends] = ()
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(monitoring_router(sink, dependencies=dependencies))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client


def _samples(text: str, name: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


def _value(text: str, name: str, **labels: str) -> float:
    matching = [s.value for s in _samples(text, name) if s.labels == labels]
    assert len(matching) <= 1
    return matching[0] if matching else 0.0


async def test_metrics_are_prometheus_text_with_the_right_counts() -> None:
    sink = MonitoringSink()
    for ms in (0.5, 3.0, 20_000.0):
        await sink.record(transaction(duration_ms=ms, bus_ms=ms / 2))
    await sink.record(transaction(service=LOOKUP, fault_type="Server.Bus.Timeout", status=504))

    async with _serving(sink) as client:
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    ok = {"service": ECHO, "client": CLIENT, "status": "200", "fault_type": "none"}
    timeout = {"service": LOOKUP, "client": CLIENT, "status": "504", "fault_type": "Server.Bus.Timeout"}
    assert _value(text, "lgsp_requests_total", **ok) == 3
    assert _value(text, "lgsp_requests_total", **timeout) == 1
    buckets = {s.labels["le"]: s.value for s in _samples(text, "lgsp_request_duration_seconds_bucket")
               if s.labels["service"] == ECHO}  # fmt: skip
    assert (buckets["0.001"], buckets["0.005"], buckets["10.0"], buckets["30.0"], buckets["+Inf"]) == (
        1, 2, 2, 3, 3,
    )  # fmt: skip
    assert _value(text, "lgsp_bus_duration_seconds_count", service=ECHO) == 3
    assert _value(text, "lgsp_bus_duration_seconds_count", service=LOOKUP) == 0  # never reached the bus
    assert _value(text, "lgsp_response_size_bytes_sum", service=ECHO) == 3 * 200
    assert _value(text, "lgsp_in_flight_requests") == 0


async def test_two_apps_in_one_process_keep_their_own_metrics() -> None:
    busy, idle = MonitoringSink(), MonitoringSink()
    await busy.record(transaction())
    async with _serving(busy) as busy_client, _serving(idle) as idle_client:
        busy_text = (await busy_client.get("/metrics")).text
        idle_text = (await idle_client.get("/metrics")).text
    labels = {"service": ECHO, "client": CLIENT, "status": "200", "fault_type": "none"}
    assert _value(busy_text, "lgsp_requests_total", **labels) == 1
    assert _value(idle_text, "lgsp_requests_total", **labels) == 0


async def test_health_route_reports_aggregates_per_service() -> None:
    sink = MonitoringSink()
    await sink.record(transaction(duration_ms=4.0, start=T0))
    await sink.record(transaction(duration_ms=8.0, start=T0 + timedelta(seconds=1)))
    await sink.record(transaction(fault_type="Server.Provider.Rejected", status=422))

    async with _serving(sink) as client:
        body = (await client.get("/monitoring/health")).json()

    (echo,) = body["services"]
    assert echo["service"] == ECHO
    assert (echo["request_count"], echo["failure_count"]) == (3, 1)
    assert echo["successful_duration_ms"] == {"min": 4.0, "avg": 6.0, "max": 8.0}
    assert echo["last_success"].startswith("2024-03-01T08:00:01")
    assert echo["faults"] == {"Server.Provider.Rejected": 1}


async def test_records_route_filters_by_service_and_since_and_bounds_by_limit() -> None:
    sink = MonitoringSink()
    sent = [transaction(service=(ECHO, LOOKUP)[i % 2], start=T0 + timedelta(seconds=i)) for i in range(150)]
    for record in sent:
        await sink.record(record)

    async with _serving(sink) as client:
        default = (await client.get("/monitoring/records")).json()["records"]
        since = (T0 + timedelta(seconds=140)).isoformat()
        query: dict[str, str | int] = {"service": LOOKUP, "since": since, "limit": 3}
        filtered = await client.get("/monitoring/records", params=query)

    assert len(default) == 100
    assert default[0]["transaction_id"] == sent[-1].transaction_id
    ids = [r["transaction_id"] for r in filtered.json()["records"]]
    assert ids == [sent[i].transaction_id for i in (149, 147, 145)]
    assert all(r["service"] == LOOKUP for r in filtered.json()["records"])


async def test_records_route_lists_a_dossier_s_transactions() -> None:
    sink = MonitoringSink()
    sent = [
        transaction(start=T0 + timedelta(seconds=i)).model_copy(update={"issue": ("HS-A", "HS-B")[i % 2]})
        for i in range(5)
    ]
    for record in sent:
        await sink.record(record)
    async with _serving(sink) as client:
        found = (await client.get("/monitoring/records", params={"dossier": "HS-A"})).json()["records"]
        empty = await client.get("/monitoring/records", params={"dossier": ""})

    assert [r["transaction_id"] for r in found] == [sent[i].transaction_id for i in (4, 2, 0)]
    assert {r["issue"] for r in found} == {"HS-A"}
    assert empty.status_code == 422


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": str(MAX_PAGE + 1)},
        {"limit": "ten"},
        {"since": "yesterday"},
        {"since": "2024-03-01T08:00:00"},  # no zone: ambiguous
        {"service": "VN/GOV"},
        {"service": "VN/GOV/HPG/TMON/Echo/1"},
    ],
)
async def test_bad_record_queries_are_422_naming_the_parameter(params: dict[str, str]) -> None:
    sink = MonitoringSink()
    await sink.record(transaction())
    async with _serving(sink) as client:
        response = await client.get("/monitoring/records", params=params)
    assert response.status_code == 422
    (name,) = params
    assert any(error["loc"][-1] == name for error in response.json()["detail"])


async def test_routes_answer_503_when_the_shared_state_is_unreachable() -> None:
    state = RedisMonitoringState("redis://127.0.0.1:1/0?socket_connect_timeout=1")
    sink = MonitoringSink(state)
    try:
        async with _serving(sink) as client:
            assert (await client.get("/monitoring/health")).status_code == 503
            assert (await client.get("/monitoring/records")).status_code == 503
            assert (await client.get("/metrics")).status_code == 200  # this replica's metrics need no Redis
    finally:
        await sink.close()


@pytest.mark.redis
async def test_any_gateway_shows_the_whole_platforms_figures(
    make_redis_state: Callable[..., RedisMonitoringState],
) -> None:
    first, second = MonitoringSink(make_redis_state()), MonitoringSink(make_redis_state())
    await first.record(transaction(service=ECHO))
    await second.record(transaction(service=LOOKUP, fault_type="Server.Bus.Timeout", status=504))

    async with _serving(first) as client:
        health = (await client.get("/monitoring/health")).json()["services"]
        records = (await client.get("/monitoring/records", params={"service": LOOKUP})).json()["records"]

    assert {(h["service"], h["request_count"], h["failure_count"]) for h in health} == {
        (ECHO, 1, 0),
        (LOOKUP, 1, 1),
    }
    assert [r["fault_type"] for r in records] == ["Server.Bus.Timeout"]


async def test_router_dependencies_guard_every_route() -> None:
    async def admin_only(x_admin: str | None = Header(None)) -> None:
        if x_admin != "yes":
            raise HTTPException(401, "admin credential required")

    async with _serving(MonitoringSink(), dependencies=[Depends(admin_only)]) as client:
        for path in ("/metrics", "/monitoring/health", "/monitoring/records"):
            assert (await client.get(path)).status_code == 401
            assert (await client.get(path, headers={"x-admin": "yes"})).status_code == 200


async def test_gateway_with_router_and_middleware_mounted_reports_its_own_calls() -> None:
    catalog = echo_catalog("TMON")
    sink = MonitoringSink(catalog=catalog)
    app = create_gateway(catalog, make_transport(None), sinks=[sink], manage_transport=False)
    app.include_router(monitoring_router(sink))
    app.add_middleware(InFlightMiddleware, metrics=sink.metrics)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        refused = await client.post("/r1/" + ECHO, json={}, headers={"X-Road-Client": CLIENT})
        text = (await client.get("/metrics")).text
        health = (await client.get("/monitoring/health")).json()["services"]

    assert refused.status_code == 401
    labels = {"service": ECHO, "client": "unknown", "status": "401", "fault_type": "Client.Unauthenticated"}
    assert _value(text, "lgsp_requests_total", **labels) == 1
    assert _value(text, "lgsp_in_flight_requests") == 0
    assert [(h["service"], h["failure_count"]) for h in health] == [(ECHO, 1)]


async def test_in_flight_gauge_counts_service_calls_until_they_are_answered() -> None:
    sink = MonitoringSink()
    entered, release = asyncio.Event(), asyncio.Event()

    async def held_app(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = InFlightMiddleware(held_app, metrics=sink.metrics)

    def in_flight() -> float | None:
        return sink.metrics.registry.get_sample_value("lgsp_in_flight_requests")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        call = asyncio.create_task(client.get("/r1/" + ECHO))
        await asyncio.wait_for(entered.wait(), 2)
        during = in_flight()
        entered.clear()
        other = asyncio.create_task(client.get("/health"))  # not a service call
        await asyncio.wait_for(entered.wait(), 2)
        also_during = in_flight()
        release.set()
        await asyncio.wait_for(asyncio.gather(call, other), 2)

    assert (during, also_during, in_flight()) == (1, 1, 0)
