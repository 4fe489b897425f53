"""The gateway's answers, on the memory transport and on RabbitMQ."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable

import httpx
import pytest

from bus.transaction import TransactionRecord
from bus.transport import Delivery
from tests.in_process_stack import KEY, OTHER_KEY, Stack, running_stack

STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}


@pytest.fixture(params=["memory", pytest.param("amqp", marks=pytest.mark.amqp)])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    url = request.getfixturevalue("amqp_url") if request.param == "amqp" else None
    async with running_stack(url, max_body_bytes=4096) as running:
        yield running


async def test_call_returns_the_adapters_answer_with_transaction_id(stack: Stack) -> None:
    body = {"HoVaTen": "Nguyễn Thị Ánh Tuyết", "SoDinhDanh": "031190000001"}
    response = await stack.client.post(
        stack.url("Echo", "records/7"),
        json=body,
        params={"page": "2"},
        headers={**STP, "X-Road-UserId": "canbo01", "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["echo"] == body
    assert answer["path"] == "records/7"
    assert answer["query"] == {"page": "2"}
    assert len(response.headers["x-road-id"]) == 32
    assert response.headers["traceparent"].split("-")[1] == "a" * 32  # the caller's trace continues


async def test_get_without_body_reaches_the_adapter(stack: Stack) -> None:
    response = await stack.client.get(stack.url("Echo", "x"), headers=STP)
    assert response.status_code == 200
    assert response.json()["method"] == "GET"
    assert response.json()["echo"] is None


async def test_caller_transaction_id_is_kept(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Echo"), json={}, headers={**STP, "X-Road-Id": "tx-123"})
    assert response.headers["x-road-id"] == "tx-123"


OTHER = {"X-Road-Client": "VN/GOV/HPG/OTHER", "X-Api-Key": OTHER_KEY}


async def sent_then(stack: Stack, call: Awaitable[httpx.Response]) -> asyncio.Task[httpx.Response]:
    """`call` started and on the bus (still waiting for its answer)."""
    before = len(stack.transport.sent)
    task = asyncio.ensure_future(call)
    async with asyncio.timeout(5):
        while len(stack.transport.sent) == before:  # noqa: ASYNC110 - it has reached the bus
            await asyncio.sleep(0.005)
    return task


async def test_two_clients_using_one_x_road_id_at_once_are_served_apart(stack: Stack) -> None:
    url, shared = stack.url("Shared"), {"X-Road-Id": "shared-id-1"}
    first = await sent_then(stack, stack.client.post(url, json={"n": 1}, headers={**STP, **shared}))
    theirs = await stack.client.post(url, json={"n": 2}, headers={**OTHER, **shared})
    mine = await first
    assert (mine.status_code, theirs.status_code) == (200, 200), (mine.text, theirs.text)
    assert mine.headers["x-road-id"] == theirs.headers["x-road-id"] == "shared-id-1"
    assert (mine.json()["client"], mine.json()["echo"]) == ("VN/GOV/HPG/STP", {"n": 1})
    assert (theirs.json()["client"], theirs.json()["echo"]) == ("VN/GOV/HPG/OTHER", {"n": 2})
    # No Idempotency-Key: the provider's request code comes from the transaction id, the caller's own.
    assert mine.json()["request_code"] != theirs.json()["request_code"]


async def test_one_client_reusing_its_x_road_id_in_flight_gets_409_naming_its_id(stack: Stack) -> None:
    url, headers = stack.url("Shared"), {**STP, "X-Road-Id": "mine-1"}
    first = await sent_then(stack, stack.client.post(url, json={"n": 1}, headers=headers))
    again = await stack.client.post(url, json={"n": 2}, headers=headers)
    assert (again.status_code, again.json()["type"]) == (409, "Client.DuplicateRequest")
    assert "'mine-1' is still being served" in again.json()["message"]
    assert again.headers["x-road-id"] == again.json()["detail"] == "mine-1"
    assert (await first).json()["echo"] == {"n": 1}


async def test_a_client_reusing_its_x_road_id_later_keeps_its_request_code(stack: Stack) -> None:
    url, headers = stack.url("Shared"), {**STP, "X-Road-Id": "again-1"}
    codes = [(await stack.client.post(url, json={}, headers=headers)).json()["request_code"] for _ in "ab"]
    other = (await stack.client.post(url, json={}, headers={**OTHER, "X-Road-Id": "again-1"})).json()
    assert codes[0] == codes[1] != other["request_code"]


@pytest.mark.parametrize(
    ("headers", "status", "error_type"),
    [
        ({}, 401, "Client.Unauthenticated"),
        ({"X-Road-Client": "VN/GOV/HPG/STP"}, 401, "Client.Unauthenticated"),
        ({"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "wrong"}, 401, "Client.Unauthenticated"),
        ({"X-Road-Client": "VN/GOV/HPG/NOBODY", "X-Api-Key": KEY}, 401, "Client.Unauthenticated"),
        ({"X-Road-Client": "VN/GOV/HPG", "X-Api-Key": KEY}, 400, "Client.BadRequest"),
        ({"X-Road-Client": "VN/GOV/HPG/OTHER", "X-Api-Key": OTHER_KEY}, 403, "Client.AccessDenied"),
    ],
)
async def test_rejected_callers_get_their_error_and_nothing_is_sent(
    stack: Stack, headers: dict[str, str], status: int, error_type: str
) -> None:
    response = await stack.client.post(stack.url("Echo"), json={}, headers=headers)
    assert response.status_code == status
    assert response.json()["type"] == error_type
    assert response.json()["message"]
    assert stack.transport.sent == []


async def test_unknown_service_is_404_and_nothing_is_sent(stack: Stack) -> None:
    response = await stack.client.post("/r1/VN/GOV/HPG/NOPE/Nothing/v1", json={}, headers=STP)
    assert response.status_code == 404
    assert response.json()["type"] == "Client.UnknownService"
    assert stack.transport.sent == []


async def test_bad_service_id_names_the_faulty_part(stack: Stack) -> None:
    response = await stack.client.post("/r1/VN/GOV/HPG/X/Echo/1", json={}, headers=STP)
    assert response.status_code == 400
    assert "version '1'" in response.json()["message"]
    assert stack.transport.sent == []


async def test_malformed_json_is_a_bad_request(stack: Stack) -> None:
    response = await stack.client.post(
        stack.url("Echo"), content=b'{"a": ', headers={**STP, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "Client.BadRequest"
    assert stack.transport.sent == []


async def test_oversized_body_is_refused(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Echo"), json={"x": "a" * 5000}, headers=STP)
    assert response.status_code == 413
    assert response.json()["type"] == "Client.PayloadTooLarge"
    assert stack.transport.sent == []


async def test_provider_error_is_reported_as_provider_fault(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Failing"), json={}, headers=STP)
    assert response.status_code == 502
    body = response.json()
    assert body["type"] == "Server.Provider.InternalError"
    assert body["detail"] == response.headers["x-road-id"]


async def test_adapter_bug_becomes_a_bus_error_reply(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Crashing"), json={}, headers=STP)
    assert response.status_code == 500
    assert response.json()["type"] == "Server.Bus.InternalError"
    assert "ZeroDivisionError" in response.json()["message"]


async def test_provider_slower_than_the_deadline_gives_provider_timeout(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Slow"), json={}, headers=STP)
    assert response.status_code == 504
    assert response.json()["type"] == "Server.Provider.Timeout"
    assert response.json()["detail"] == response.headers["x-road-id"]


async def test_no_reply_before_the_deadline_gives_bus_timeout(stack: Stack) -> None:
    async def swallow(delivery: Delivery) -> None:  # a worker that takes the message and never answers
        await delivery.ack()

    subscription = await stack.transport.consume(stack.service("Orphan").id.queue_name, swallow)
    try:
        response = await stack.client.post(stack.url("Orphan"), json={}, headers=STP)
    finally:
        await subscription.cancel()
    assert response.status_code == 504
    assert response.json()["type"] == "Server.Bus.Timeout"
    assert response.json()["detail"] == response.headers["x-road-id"]


async def test_service_without_any_queue_gives_no_route(stack: Stack) -> None:
    response = await stack.client.post(stack.url("Orphan"), json={}, headers=STP)
    assert response.status_code == 502
    assert response.json()["type"] == "Server.Bus.NoRoute"


async def test_catalog_lists_only_the_services_a_client_may_call(stack: Stack) -> None:
    mine = await stack.client.get("/catalog", headers=STP)
    other = await stack.client.get("/catalog", headers=OTHER)
    assert len(mine.json()["services"]) == 6
    assert [s["id"] for s in other.json()["services"]] == [str(stack.service("Shared").id)]
    assert (await stack.client.get("/catalog")).status_code == 401


async def test_health_and_openapi_are_served(stack: Stack) -> None:
    assert (await stack.client.get("/health")).json()["status"] == "ok"
    assert "/r1/{service_path}" in (await stack.client.get("/openapi.json")).json()["paths"]


class ListSink:
    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        self.records.append(record)


async def test_every_call_leaves_one_record_with_the_four_timestamps() -> None:
    sink = ListSink()
    async with running_stack(None, sinks=[sink]) as stack:
        body = {"id_number": "031190000001", "note": "Lê Văn Tám"}
        ok = await stack.client.post(stack.url("Echo"), json=body, headers={**STP, "X-Road-UserId": "cb01"})
        denied = await stack.client.post(stack.url("Echo"), json={}, headers={**STP, "X-Api-Key": "bad"})
        failed = await stack.client.post(stack.url("Failing"), json={}, headers=STP)
    assert [r.status for r in sink.records] == [200, 401, 502]
    good, refused, broken = sink.records
    assert good.transaction_id == ok.headers["x-road-id"] and good.succeeded and good.fault_type is None
    assert good.subjects == ("031190000001",) and good.user_id == "cb01" and good.worker == "test-worker"
    assert good.request_in <= good.request_out <= good.response_in <= good.response_out  # type: ignore[operator]
    assert good.request_sha256 == hashlib.sha256(ok.request.content).hexdigest()
    assert good.response_sha256 == hashlib.sha256(ok.content).hexdigest()
    assert refused.fault_type == "Client.Unauthenticated" and refused.request_out is None
    assert refused.transaction_id == denied.json()["detail"] and not refused.succeeded
    assert broken.fault_type == "Server.Provider.InternalError"
    assert broken.transaction_id == failed.headers["x-road-id"]
