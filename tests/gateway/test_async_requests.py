"""`Prefer: respond-async`: 202 at once, the call finished in the background, its state kept, called back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from bus.errors import BadRequest
from bus.gateway.async_requests import async_choice, wants_async
from bus.transaction import TransactionRecord
from tests.gateway.conftest import OTHER, STP, CountedBus
from tests.in_process_stack import Backend, running_gateway

ASYNC = {**STP, "Prefer": "respond-async"}


async def finished(client: httpx.AsyncClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the transaction until it is done (bounded)."""
    async with asyncio.timeout(10):
        while True:
            state: dict[str, Any] = (await client.get(location, headers=headers)).json()
            if state["state"] == "done":
                return state
            await asyncio.sleep(0.05)


async def test_async_call_answers_202_then_its_state_goes_from_pending_to_done(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        body = {"SoDinhDanh": "031190000001"}
        accepted = await gateway.client.post(bus.url("Slow"), json=body, headers=ASYNC)
        location = accepted.headers["location"]
        pending = await gateway.client.get(location, headers=STP)
        done = await finished(gateway.client, location, STP)
    transaction_id = accepted.headers["x-road-id"]
    assert accepted.status_code == 202
    assert accepted.headers["preference-applied"] == "respond-async"
    assert location == f"/transactions/{transaction_id}"
    assert accepted.json()["transaction_id"] == transaction_id and accepted.json()["state"] == "pending"
    assert pending.status_code == 200 and pending.json()["state"] == "pending"
    assert done["status"] == 200 and done["error"] is None
    assert done["result"]["echo"] == {"SoDinhDanh": "031190000001"}
    assert done["finished_at"] >= done["accepted_at"]
    assert bus.slow.calls == 1


async def test_another_replica_reports_the_state_of_an_async_call(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as first, running_gateway(bus, backend) as second:
        accepted = await first.client.post(bus.url("Count"), json={"a": 1}, headers=ASYNC)
        done = await finished(second.client, accepted.headers["location"], STP)
    assert done["result"]["echo"] == {"a": 1}


async def test_only_the_calling_client_sees_its_transaction(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        accepted = await gateway.client.post(bus.url("Count"), json={}, headers=ASYNC)
        location = accepted.headers["location"]
        await finished(gateway.client, location, STP)
        theirs = await gateway.client.get(location, headers=OTHER)
        unknown = await gateway.client.get("/transactions/no-such-id", headers=STP)
        anonymous = await gateway.client.get(location)
    assert theirs.status_code == 404 and theirs.json()["type"] == "Client.UnknownTransaction"
    # An id that never existed looks the same as another client's: nothing to learn by probing.
    assert unknown.status_code == 404 and unknown.json()["type"] == theirs.json()["type"]
    assert anonymous.status_code == 401


async def test_a_provider_failure_is_kept_as_the_transactions_error(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        accepted = await gateway.client.post(bus.url("Failing"), json={}, headers=ASYNC)
        done = await finished(gateway.client, accepted.headers["location"], STP)
    assert done["status"] == 502 and done["result"] is None
    assert done["error"]["type"] == "Server.Provider.InternalError"
    assert done["error"]["detail"] == accepted.headers["x-road-id"]


async def test_callback_url_receives_the_result_after_a_failed_first_attempt(
    bus: CountedBus, backend: Backend
) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(500 if len(received) == 1 else 204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        async with running_gateway(bus, backend, callback_http=http, callback_backoff=0.01) as gateway:
            # A public address literal: no DNS needed, and the mock transport receives the POST.
            headers = {**ASYNC, "X-Callback-Url": "https://8.8.8.8/lgsp/ket-qua"}
            accepted = await gateway.client.post(bus.url("Count"), json={"b": 2}, headers=headers)
            assert await gateway.router.drain() == 0  # shutdown waits for the call and its callback
    assert [str(r.url) for r in received] == ["https://8.8.8.8/lgsp/ket-qua"] * 2
    delivered = json.loads(received[-1].content)
    assert delivered["transaction_id"] == accepted.headers["x-road-id"]
    assert delivered["state"] == "done" and delivered["result"]["echo"] == {"b": 2}


async def test_callback_gives_up_after_its_bounded_attempts(bus: CountedBus, backend: Backend) -> None:
    received: list[httpx.Request] = []

    def broken(request: httpx.Request) -> httpx.Response:
        received.append(request)
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as http:
        options = {
            "callback_http": http,
            "callback_backoff": 0.01,
            "callback_attempts": 3,
            "callback_allowed_networks": ["127.0.0.0/8"],
        }
        async with running_gateway(bus, backend, **options) as gateway:
            headers = {**ASYNC, "X-Callback-Url": "http://127.0.0.1:9/never"}
            accepted = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
            done = await finished(gateway.client, accepted.headers["location"], STP)
            await gateway.router.drain()
    assert len(received) == 3
    assert done["status"] == 200  # the transaction itself succeeded; only the notification failed


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"X-Callback-Url": "ftp://example.vn/x"}, "http(s) URL"),
        ({"X-Callback-Url": "not a url"}, "http(s) URL"),
        ({"Prefer": "", "X-Callback-Url": "https://example.vn/x"}, "respond-async"),
        ({"X-Callback-Url": "http://169.254.169.254/latest/meta-data/"}, "resolves to 169.254.169.254"),
        ({"X-Callback-Url": "http://127.0.0.1:6379/"}, "resolves to 127.0.0.1"),
        ({"X-Callback-Url": "http://[::1]:8000/cb"}, "resolves to ::1"),
        ({"X-Callback-Url": "http://2130706433/cb"}, "resolves to 127.0.0.1"),
        ({"X-Callback-Url": "https://user:secret@8.8.8.8/cb"}, "credentials"),
    ],
)
async def test_bad_async_headers_are_refused_and_nothing_is_sent(
    bus: CountedBus, backend: Backend, extra: dict[str, str], complaint: str
) -> None:
    async with running_gateway(bus, backend) as gateway:
        refused = await gateway.client.post(bus.url("Count"), json={}, headers={**ASYNC, **extra})
    assert refused.status_code == 400 and refused.json()["type"] == "Client.BadRequest"
    assert complaint in refused.json()["message"]
    assert bus.count.calls == 0


async def test_a_refused_callback_leaves_no_transaction_behind(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        headers = {**ASYNC, "X-Road-Id": "tx-ssrf", "X-Callback-Url": "http://10.0.0.5/cb"}
        refused = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
        unknown = await gateway.client.get("/transactions/tx-ssrf", headers=STP)
    assert refused.status_code == 400 and unknown.status_code == 404
    assert bus.count.calls == 0


async def test_a_reused_transaction_id_is_refused(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        headers = {**ASYNC, "X-Road-Id": "tx-once"}
        first = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
        second = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
    assert first.status_code == 202
    assert second.status_code == 400 and "'tx-once'" in second.json()["message"]


async def test_a_repeated_async_request_with_its_key_gets_the_same_transaction(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        headers = {**ASYNC, "Idempotency-Key": "k-async"}
        first = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
        again = await gateway.client.post(bus.url("Count"), json={}, headers=headers)
        await gateway.router.drain()
    assert again.status_code == 202 and again.headers["location"] == first.headers["location"]
    assert bus.count.calls == 1


async def test_async_calls_hold_their_in_flight_slot_until_done(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend, max_in_flight=1) as gateway:
        accepted = await gateway.client.post(bus.url("Slow"), json={}, headers=ASYNC)
        busy = await gateway.client.post(bus.url("Count"), json={}, headers=STP)
        await finished(gateway.client, accepted.headers["location"], STP)
        free = await gateway.client.post(bus.url("Count"), json={}, headers=STP)
    assert (accepted.status_code, busy.status_code, free.status_code) == (202, 503, 200)


@pytest.mark.parametrize(
    ("prefer", "wanted"),
    [
        ("respond-async", True),
        ("Respond-Async, wait=10", True),
        ("wait=5; respond-async", False),
        (None, False),
    ],
)
def test_prefer_header_is_read_as_rfc_7240_preferences(prefer: str | None, wanted: bool) -> None:
    assert wants_async(prefer) is wanted


def test_async_choice_keeps_a_valid_callback() -> None:
    assert async_choice("respond-async", "https://a.vn/cb?x=1").callback_url == "https://a.vn/cb?x=1"
    with pytest.raises(BadRequest):
        async_choice("respond-async", "https://" + "a" * 3000 + ".vn/")


class ListSink:
    def __init__(self) -> None:
        self.records: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        self.records.append(record)


async def test_an_async_call_leaves_one_record_with_its_final_outcome(
    bus: CountedBus, backend: Backend
) -> None:
    sink = ListSink()
    async with running_gateway(bus, backend, sinks=[sink]) as gateway:
        accepted = await gateway.client.post(bus.url("Failing"), json={}, headers=ASYNC)
        await gateway.router.drain()
    assert [(r.transaction_id, r.status, r.fault_type) for r in sink.records] == [
        (accepted.headers["x-road-id"], 502, "Server.Provider.InternalError")
    ]
