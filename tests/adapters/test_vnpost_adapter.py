"""VNPost adapter against the real VNPost mock served by uvicorn: token, orders, tracking, faults."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from adapters.vnpost import OrderBook, VnpostAdapter, VnpostConfig, create_adapter
from adapters.vnpost.models import PostOrderRequest
from adapters.vnpost.wire import order_fields
from bus.envelope import Envelope
from bus.errors import (
    BadRequest,
    BadResponse,
    BusError,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from bus.store import MemoryStore
from loadtests.scenarios.base import Draw
from loadtests.scenarios.vnpost import (
    PAGE_SIZE,
    PAGES_PER_CALL,
    POST_ORDER,
    TRACKING,
    TrackingCursor,
    cursor_query,
    send_by_post,
)
from services.citizens import Population
from services.faults import FaultControlClient, Latency
from services.vnpost import VnpostSettings, create_app
from services.vnpost.models import PostOrderRequest as MockPostOrderRequest
from services.vnpost.oauth import TokenIssuer

POST = "VN/COM/VNPOST/BCCP/postOrder/v1"
CANCEL = "VN/COM/VNPOST/BCCP/cancelOrder/v1"
TRACK = "VN/COM/VNPOST/BCCP/getOrderTracking/v1"
CUSTOMER = "HPG_STP"
PEOPLE = Population()


@dataclass
class Mock:
    url: str
    app: FastAPI

    async def effects(self) -> dict[str, int]:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as control:
            result: dict[str, int] = (await control.get("/_control/effects")).json()
            return result

    async def advance(self, hours: float) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as control:
            response = await control.post("/_control/clock/advance", json={"hours": hours})
            assert response.status_code == 200, response.text

    def revoke_all_tokens(self) -> None:
        """As a provider restart does: every token issued so far is unknown from now on."""
        settings: VnpostSettings = self.app.state.vnpost.settings
        self.app.state.vnpost.tokens = TokenIssuer(settings.clients, settings.token_ttl_s)


async def _until_started(server: uvicorn.Server) -> None:
    for _ in range(500):  # uvicorn offers no event to wait on; 10 s at most
        if server.started:
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("VNPost mock did not start")


async def _serve(settings: VnpostSettings) -> AsyncIterator[Mock]:
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await _until_started(server)
    yield Mock(f"http://127.0.0.1:{sock.getsockname()[1]}", app)
    server.should_exit = True
    async with asyncio.timeout(10):
        await task
    sock.close()


@pytest.fixture
async def mock() -> AsyncIterator[Mock]:
    async for served in _serve(VnpostSettings(latency=Latency(), seed=7)):
        yield served


@pytest.fixture
async def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def adapter(mock: Mock, store: MemoryStore) -> AsyncIterator[VnpostAdapter]:
    vnpost = VnpostAdapter(VnpostConfig(base_url=mock.url, timeout_cap=5), store=store)
    await vnpost.start()
    yield vnpost
    await vnpost.close()


@pytest.fixture
async def faults(mock: Mock) -> AsyncIterator[FaultControlClient]:
    async with FaultControlClient(mock.url) as control:
        yield control


def envelope(service: str, payload: Any, deadline: float = 5.0) -> Envelope:
    return Envelope(client="VN/GOV/HPG/STP", service=service, payload=payload).with_deadline(deadline)


def order(number: str = "HS-031-0001", **changes: Any) -> dict[str, Any]:
    return {
        "order_number": number,
        "sender": {
            "name": "Sở Tư pháp Hải Phòng",
            "phone": "02253842556",
            "address": "Số 5 Hoàng Diệu, Hồng Bàng",
            "province_code": "31",
            "district_code": "303",
        },
        "receiver": {
            "name": "Nguyễn Thị Hồng Nhung",
            "phone": "0912345678",
            "address": "Số 12 Lạch Tray, Ngô Quyền",
            "province_code": "31",
            "district_code": "304",
        },
        "description": "Trả kết quả: giấy khai sinh",
    } | changes


async def post(
    adapter: VnpostAdapter, number: str = "HS-031-0001", *, deadline: float = 5.0
) -> dict[str, Any]:
    answer = await adapter.handle(envelope(POST, order(number), deadline))
    assert isinstance(answer, dict)
    return answer


async def track(adapter: VnpostAdapter, *, deadline: float = 5.0, **query: Any) -> dict[str, Any]:
    answer = await adapter.handle(envelope(TRACK, query, deadline))
    assert isinstance(answer, dict)
    return answer


async def test_post_order_answers_the_item_code_and_records_the_order(
    adapter: VnpostAdapter, store: MemoryStore, mock: Mock
) -> None:
    answer = await post(adapter)
    assert answer["order_number"] == "HS-031-0001"
    assert str(answer["item_code"]).endswith("VN")
    assert await OrderBook(store).item_code(CUSTOMER, "HS-031-0001") == answer["item_code"]
    assert (await mock.effects())["orders_posted"] == 1


async def test_post_order_redelivered_is_one_order_with_the_same_item_code(
    adapter: VnpostAdapter, mock: Mock
) -> None:
    assert await post(adapter) == await post(adapter)
    assert (await mock.effects())["orders_posted"] == 1


async def test_an_order_without_a_number_is_posted_under_the_request_code_once_per_request(
    adapter: VnpostAdapter, mock: Mock
) -> None:
    unnumbered = order() | {"order_number": None}
    first = envelope(POST, unnumbered).model_copy(update={"idempotency_key": "k-parcel"})
    again = envelope(POST, unnumbered).model_copy(update={"idempotency_key": "k-parcel"})  # a client retry
    answers = [await adapter.handle(first), await adapter.handle(again)]
    assert answers[0] == answers[1]
    assert isinstance(answers[0], dict) and answers[0]["order_number"] == first.request_code
    assert (await mock.effects())["orders_posted"] == 1


async def test_same_order_number_with_other_content_is_rejected_naming_the_field(
    adapter: VnpostAdapter,
) -> None:
    await post(adapter)
    with pytest.raises(ProviderRejected, match="order_number"):
        await adapter.handle(envelope(POST, order(description="Nội dung khác")))


async def test_invalid_phone_is_a_bad_request_and_nothing_is_posted(
    adapter: VnpostAdapter, mock: Mock, store: MemoryStore
) -> None:
    bad = order()
    bad["receiver"]["phone"] = "12345"
    with pytest.raises(BadRequest, match=r"receiver\.phone"):
        await adapter.handle(envelope(POST, bad))
    assert (await mock.effects())["orders_posted"] == 0
    assert len(store) == 0


async def test_one_token_serves_many_concurrent_calls(adapter: VnpostAdapter, mock: Mock) -> None:
    await asyncio.gather(*(post(adapter, f"HS-CONC-{i}") for i in range(10)))
    assert adapter.token is not None and adapter.token.fetches == 1
    assert (await mock.effects())["tokens_issued"] == 1


async def test_revoked_token_is_refreshed_once_and_the_call_succeeds(
    adapter: VnpostAdapter, mock: Mock
) -> None:
    await post(adapter, "HS-TOK-1")
    mock.revoke_all_tokens()
    answer = await post(adapter, "HS-TOK-2")
    assert answer["order_number"] == "HS-TOK-2"
    assert adapter.token is not None and adapter.token.fetches == 2


async def test_expiring_token_is_renewed_before_it_expires() -> None:
    async for mock in _serve(VnpostSettings(latency=Latency(), token_ttl_s=2.0)):
        vnpost = VnpostAdapter(VnpostConfig(base_url=mock.url), store=MemoryStore())
        try:
            await post(vnpost, "HS-EXP-1")
            await asyncio.sleep(1.2)  # past the refresh point (half of a 2 s lifetime)
            await post(vnpost, "HS-EXP-2")
            assert vnpost.token is not None and vnpost.token.fetches == 2
            effects = await mock.effects()
            assert (effects["tokens_issued"], effects["tokens_refused"]) == (2, 0)
        finally:
            await vnpost.close()


async def test_wrong_client_secret_is_rejected(mock: Mock) -> None:
    config = VnpostConfig(base_url=mock.url, client_secret="wrong-secret")
    vnpost = VnpostAdapter(config, store=MemoryStore())
    try:
        with pytest.raises(ProviderRejected, match="401"):
            await post(vnpost)
    finally:
        await vnpost.close()


async def test_tracking_shows_the_parcel_progress_as_the_clock_advances(
    adapter: VnpostAdapter, mock: Mock
) -> None:
    await post(adapter, "HS-TRACK-1")
    first = await track(adapter, order_number="HS-TRACK-1")
    assert [item["status"] for item in first["items"]] == ["accepted"]
    await mock.advance(24 * 10)  # well past the longest journey, returns included
    last = await track(adapter, order_number="HS-TRACK-1")
    (item,) = last["items"]
    assert item["status"] in {"delivered", "returned"}
    assert item["event_time"] > first["items"][0]["event_time"]
    assert last["complete"] is True


async def test_tracking_pages_follow_the_cursor_and_say_when_more_remain(adapter: VnpostAdapter) -> None:
    numbers = [f"HS-PAGE-{i}" for i in range(5)]
    for number in numbers:
        await post(adapter, number)
    first = await track(adapter, page_size=2)
    assert [item["order_number"] for item in first["items"]] == numbers[:2]
    assert (first["complete"], first["next_after_id"]) == (False, first["items"][-1]["id"])
    rest = await track(adapter, page_size=2, max_pages=5, after_id=first["next_after_id"])
    assert [item["order_number"] for item in rest["items"]] == numbers[2:]
    assert (rest["complete"], rest["next_after_id"]) == (True, None)


# One tracking call is one bus call with one deadline for all its pages. Here 40 of them walk 14 pages
# each: ~560 round trips through one event loop, shared with the mock; each call lasts about as long
# as all of them (0.8 s on a quiet 2-core machine, over 5 s at load average 16). The deadline is the
# caller's, not the property under test: generous, so that a loaded machine only makes it slower.
CROWDED_DEADLINE = 60.0


async def test_every_order_answered_posted_is_tracked_while_others_are_posted_concurrently(
    adapter: VnpostAdapter,
) -> None:
    """The load test's VNPost scenario, many users at once: post, then page (size 3) to the end for it."""

    async def post_then_track(number: str) -> tuple[str, list[dict[str, Any]], bool]:
        posted = await post(adapter, number, deadline=CROWDED_DEADLINE)
        found = await track(
            adapter, order_number=number, page_size=3, max_pages=50, deadline=CROWDED_DEADLINE
        )
        return posted["item_code"], found["items"], found["complete"]

    numbers = [f"HS-CONC-TRACK-{i}" for i in range(40)]
    for number, (item_code, items, complete) in zip(
        numbers, await asyncio.gather(*(post_then_track(number) for number in numbers)), strict=True
    ):
        assert complete is True
        assert [(item["order_number"], item["item_code"]) for item in items] == [(number, item_code)]


async def _play_send_by_post(adapter: VnpostAdapter, cursor: TrackingCursor, seed: int) -> int:
    """The load test's VNPost scenario, its steps answered by the adapter: how many tracking calls it
    took; AssertionError when a check fails."""
    services = {POST_ORDER: POST, TRACKING: TRACK}
    steps = send_by_post(cursor).run(Draw(random.Random(seed), PEOPLE, f"t{seed}"))
    step, calls = next(steps), 0
    while True:
        answer = await adapter.handle(envelope(services[step.service_code], step.body))
        assert step.check(answer) is None, step.check(answer)
        calls += step.service_code == TRACKING
        try:
            step = steps.send(answer)
        except StopIteration:
            return calls


def _earlier_orders(mock: Mock, prefix: str, count: int) -> None:
    """`count` orders of the customer straight into the mock's book (posting each through the adapter
    would take seconds)."""
    service = mock.app.state.vnpost
    for i in range(count):
        canonical = PostOrderRequest.model_validate(order(f"{prefix}-{i}"))
        wire = MockPostOrderRequest.model_validate(order_fields(canonical, CUSTOMER))
        service.orders.post(wire, service.clock.now())


async def test_load_test_tracking_finds_its_order_behind_more_than_500_others(
    mock: Mock, adapter: VnpostAdapter
) -> None:
    """However many orders the customer has (a long run), the scenario's tracking finds the new one; once
    its cursor has seen one order, the next is found in one call."""
    _earlier_orders(mock, "HS-EARLIER", 620)
    cursor = TrackingCursor()
    calls = await _play_send_by_post(adapter, cursor, 1)
    assert (calls, cursor.highest) == (2, 621)
    _earlier_orders(mock, "HS-MEANWHILE", 30)
    calls = await _play_send_by_post(adapter, cursor, 2)
    assert (calls, cursor.highest) == (1, 652)


async def test_load_test_tracking_cursor_moves_past_the_orders_of_earlier_runs(
    mock: Mock, adapter: VnpostAdapter
) -> None:
    """The locustfile's start: the cursor ends within one call's pages of the last order, so a run
    against a mock that kept an earlier run's orders tracks from there."""
    _earlier_orders(mock, "HS-OLD", 1_234)
    cursor = TrackingCursor()
    while not (answer := await track(adapter, **cursor_query(cursor.highest)))["complete"]:
        cursor.saw(answer)
    assert answer["items"] == [] and 1_234 - PAGE_SIZE * PAGES_PER_CALL < cursor.highest <= 1_234


async def test_cancelled_order_shows_cancelled_in_tracking(adapter: VnpostAdapter) -> None:
    await post(adapter, "HS-CANCEL-1")
    answer = await adapter.handle(envelope(CANCEL, {"order_number": "HS-CANCEL-1"}))
    assert isinstance(answer, dict) and answer["cancelled"] is True
    tracked = await track(adapter, order_number="HS-CANCEL-1")
    assert [item["status"] for item in tracked["items"]] == ["cancelled"]


async def test_cancel_of_an_unknown_order_is_rejected_naming_the_field(adapter: VnpostAdapter) -> None:
    with pytest.raises(ProviderRejected, match="order_number"):
        await adapter.handle(envelope(CANCEL, {"order_number": "NEVER-POSTED"}))


async def test_cancel_of_a_delivered_order_is_rejected(adapter: VnpostAdapter, mock: Mock) -> None:
    await post(adapter, "HS-LATE-1")
    await mock.advance(24 * 10)
    with pytest.raises(ProviderRejected, match="cannot cancel"):
        await adapter.handle(envelope(CANCEL, {"order_number": "HS-LATE-1"}))


def test_factory_rejects_a_bad_config_naming_the_key() -> None:
    with pytest.raises(ValueError, match="customer_code"):
        create_adapter({"customer_code": "has spaces"})


def test_factory_defaults_are_the_mock_client_and_the_secret_is_not_shown() -> None:
    vnpost = create_adapter({})
    assert (vnpost.config.base_url, vnpost.config.client_id) == ("http://127.0.0.1:8104", "HPG_LGSP")
    assert "hpg-lgsp-vnpost-client-secret" not in repr(vnpost.config)


async def test_provider_hang_with_short_deadline_is_provider_timeout(
    adapter: VnpostAdapter, faults: FaultControlClient
) -> None:
    await post(adapter, "HS-WARM")  # the token is fetched before the fault
    await faults.patch({"timeout_rate": 1.0, "hang_seconds": 30.0})
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await adapter.handle(envelope(TRACK, {}, deadline=0.5))
    assert time.monotonic() - started < 3  # the mock would hang for 30 s


@pytest.mark.chaos
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"error_rate": 1.0, "error_status": 500}, ProviderError),
        ({"error_rate": 1.0, "error_status": 503}, ProviderUnavailable),
        ({"malformed_rate": 1.0}, BadResponse),
        ({"outage": True}, ProviderUnavailable),
    ],
)
async def test_injected_fault_maps_to_its_taxonomy_error(
    adapter: VnpostAdapter, faults: FaultControlClient, changes: dict[str, Any], error: type[BusError]
) -> None:
    await post(adapter, "HS-WARM")
    await faults.patch(changes)
    for service, payload in ((TRACK, {}), (POST, order("HS-FAULT")), (CANCEL, {"order_number": "HS-WARM"})):
        with pytest.raises(error) as raised:
            await adapter.handle(envelope(service, payload))
        assert type(raised.value) is error


@pytest.mark.chaos
async def test_fault_on_the_token_endpoint_maps_to_its_taxonomy_error(
    adapter: VnpostAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"outage": True})
    with pytest.raises(ProviderUnavailable):
        await post(adapter)
    assert adapter.token is not None and adapter.token.fetches == 1


@pytest.mark.chaos
async def test_rate_limited_provider_is_unavailable_with_retry_after(
    adapter: VnpostAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"rate_limit_per_second": 0.5})
    with pytest.raises(ProviderUnavailable) as raised:
        for _ in range(5):  # the bucket lets the first request or two through
            await track(adapter)
    assert raised.value.retry_after is not None and raised.value.retry_after >= 1


def test_public_surface_is_what_all_names() -> None:
    import adapters.vnpost as package

    assert all(hasattr(package, name) for name in package.__all__)
    assert {"create_adapter", "VnpostAdapter", "OrderBook", "StatusChange"} <= set(package.__all__)
