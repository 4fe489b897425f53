"""VNPost's webhook: every status change POSTed, in order, to a receiver served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from services.faults import Latency
from services.vnpost import VnpostSettings, create_app

CLIENT = "HPG_LGSP"
SECRET = "test-vnpost-secret"
CUSTOMER = "HPG_STP"


class Receiver:
    """Records webhook calls; answers 500 to the first `failures` of them."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.signatures_ok: list[bool] = []
        self.failures = 0
        self.url = "http://127.0.0.1:9/hook"
        self._arrived = asyncio.Condition()

    async def wait_for(self, check: Any, within_s: float = 5.0) -> None:
        async with asyncio.timeout(within_s), self._arrived:
            await self._arrived.wait_for(lambda: check(self.received))

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            if self.failures:
                self.failures -= 1
                return Response(status_code=500)
            body = await request.body()
            expected = "sha256=" + hmac.new(b"vnpost-webhook-demo-secret", body, hashlib.sha256).hexdigest()
            async with self._arrived:
                self.signatures_ok.append(request.headers.get("x-vnpost-signature") == expected)
                self.received.append(json.loads(body))
                self._arrived.notify_all()
            return Response(status_code=204)

        return app


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hooks = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    hooks.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    server = uvicorn.Server(uvicorn.Config(hooks.app(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(250):
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield hooks
    server.should_exit = True
    async with asyncio.timeout(5):
        await task
    sock.close()


def order(number: str) -> dict[str, Any]:
    return {
        "CustomerCode": CUSTOMER, "OrderNumber": number, "CODAmount": 25_000, "SenderProvince": "31",
        "SenderDistrict": "303", "SenderAddress": "Số 1 Lê Đại Hành", "SenderName": "Sở Tư pháp Hải Phòng",
        "SenderTel": "02253842515", "ReceiverName": "Vũ Minh Tuấn", "ReceiverAddress": "Số 5 Đà Nẵng",
        "ReceiverTel": "0987654321", "ReceiverProvince": "31", "ReceiverDistrict": "305",
    }  # fmt: skip


async def serve(url: str, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    values: dict[str, Any] = {
        "clients": {CLIENT: SECRET},
        "latency": Latency(),
        "webhook_url": url,
        "webhook_scan_interval_s": 0.05,
        "webhook_backoff_s": 0.02,
        "seed": 5,
    }
    app = create_app(VnpostSettings(**(values | changes)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vnpost", timeout=5) as client:
            form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
            token = (await client.post("/oauth/token", data=form)).json()["access_token"]
            client.headers["authorization"] = f"Bearer {token}"
            yield client


async def effect_reaches(client: httpx.AsyncClient, name: str, value: int) -> int:
    """The counter `name` once it reaches `value` (polled every 20 ms, at most 5 s)."""
    for _ in range(250):
        count: int = (await client.get("/_control/effects")).json()[name]
        if count >= value:
            return count
        await asyncio.sleep(0.02)
    return count


async def final_status(client: httpx.AsyncClient) -> int:
    page = (await client.get("/api/v1/getOrderTracking", params={"CustomerCode": CUSTOMER})).json()
    status: int = page["_embedded"][0]["StatusCode"]
    return status


async def test_each_status_change_reaches_the_webhook_in_order_as_the_clock_advances(
    receiver: Receiver,
) -> None:
    async for client in serve(receiver.url):
        await client.post("/api/v1/postOrder", json=order("DH-1"))
        await receiver.wait_for(lambda got: len(got) == 1)
        assert receiver.received[0]["StatusCode"] == 1
        assert receiver.signatures_ok and all(receiver.signatures_ok)  # HMAC-SHA256 of the raw body

        await client.post("/_control/clock/advance", json={"hours": 24 * 10})
        last = await final_status(client)
        await receiver.wait_for(lambda got, last=last: got[-1]["StatusCode"] == last)

        codes = [change["StatusCode"] for change in receiver.received]
        assert codes[:3] == [1, 2, 3] and codes[-1] in (4, 6)
        times = [change["EventTime"] for change in receiver.received]
        assert times == sorted(times)
        assert {change["OrderNumber"] for change in receiver.received} == {"DH-1"}
        assert await effect_reaches(client, "webhooks_sent", len(codes)) == len(codes)


async def test_a_cancellation_is_announced_once_and_nothing_after_it(receiver: Receiver) -> None:
    async for client in serve(receiver.url):
        await client.post("/api/v1/postOrder", json=order("DH-2"))
        await client.post("/api/v1/cancelOrder", json={"CustomerCode": CUSTOMER, "OrderNumber": "DH-2"})
        await receiver.wait_for(lambda got: len(got) == 2)
        await client.post("/_control/clock/advance", json={"hours": 24 * 10})
        await asyncio.sleep(0.2)  # four scans

        assert [change["StatusCode"] for change in receiver.received] == [1, 7]


async def test_a_failing_webhook_is_retried(receiver: Receiver) -> None:
    receiver.failures = 2
    async for client in serve(receiver.url, webhook_attempts=3):
        await client.post("/api/v1/postOrder", json=order("DH-3"))

        await receiver.wait_for(lambda got: len(got) == 1)

        assert await effect_reaches(client, "webhooks_sent", 1) == 1
        assert (await client.get("/_control/effects")).json()["webhooks_failed"] == 0


async def test_an_unreachable_webhook_is_given_up_and_counted() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    async for client in serve(f"http://127.0.0.1:{closed.getsockname()[1]}/hook", webhook_attempts=2):
        await client.post("/api/v1/postOrder", json=order("DH-4"))
        assert await effect_reaches(client, "webhooks_failed", 1) == 1
    closed.close()


async def test_without_a_webhook_url_nothing_is_sent_and_orders_still_progress() -> None:
    async for client in serve("http://127.0.0.1:9/hook", webhook_url=None):
        await client.post("/api/v1/postOrder", json=order("DH-5"))
        await client.post("/_control/clock/advance", json={"hours": 24 * 10})

        assert await final_status(client) in (4, 6)
        assert (await client.get("/_control/effects")).json()["webhooks_sent"] == 0
