"""Confirmation callbacks (IPN) of the payment platform, received by a partner served by uvicorn on 127.0.0.1.

The partner checks each callback's MaXacThuc by hand, from the platform's field order
(`LoaiBanTin|MaLoi|...|secret`).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from services.faults import Latency
from services.payment import PartnerConfig, PaymentSettings, create_app

PARTNER = "HPG_LGSP"
SECRET = "test-secret-of-hai-phong"
REFERENCE = "HS-031-0042"
AMOUNT = 80_000


def sha256_joined(*values: object) -> str:
    return hashlib.sha256("|".join(str(v) for v in values).encode()).hexdigest()


def init_message() -> dict[str, Any]:
    m: dict[str, Any] = {
        "LoaiBanTin": "INIT", "PhienBan": "1.0.6", "MaDoiTac": PARTNER, "MaThamChieu": REFERENCE,
        "SoTien": AMOUNT, "MaTienTe": "VND", "ThongTinGiaoDich": "Phí cấp bản sao trích lục khai sinh",
        "ThoiGianGD": "20240501103000", "Ip": "10.31.0.7", "NgonNgu": "vi-VN",
        "ThongTinBienLai": {
            "MaTTHC": "2.000635", "MaDVC": "DVC-BS-02", "MaDonVi": "031-STP", "MaHoSo": REFERENCE,
            "HoTenNguoiNop": "Trần Văn Đức", "SoCMNDNguoiNop": "031085004321",
            "PhiLePhi": [{"LoaiPhiLePhi": "1", "MaPhiLePhi": "P02", "TenPhiLePhi": "Phí", "SoTien": AMOUNT}],
        },
    }  # fmt: skip
    m["MaXacThuc"] = sha256_joined(
        m["LoaiBanTin"], m["PhienBan"], m["MaDoiTac"], m["MaThamChieu"], m["SoTien"], m["MaTienTe"],
        m["ThongTinGiaoDich"], m["ThoiGianGD"], m["Ip"], m["NgonNgu"], SECRET,
    )  # fmt: skip
    return m


def query_message() -> dict[str, Any]:
    m: dict[str, Any] = {"LoaiBanTin": "QUERY", "PhienBan": "1.0.6", "MaDoiTac": PARTNER,
                         "MaThamChieu": REFERENCE, "SoTien": AMOUNT,
                         "ThoiGianGD": "20240501110000"}  # fmt: skip
    m["MaXacThuc"] = sha256_joined(*m.values(), SECRET)
    return m


def confirmation_signature(c: dict[str, Any]) -> str:
    return sha256_joined(
        c["LoaiBanTin"], c["MaLoi"], c["MaDoiTac"], c["MaThamChieu"], c["SoTien"], c["MaTienTe"],
        c["MaGiaoDich"], c["MaNganHang"], c["ThoiGianGD"], c["ThongTinGiaoDich"], SECRET,
    )  # fmt: skip


class Partner:
    """A partner's IPN endpoint: records callbacks, answers the scripted MaLoi codes then "00"."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.replies: list[str] = []
        self.url = "http://127.0.0.1:9/ipn"
        self._arrived = asyncio.Condition()

    async def wait_for(self, count: int, within_s: float = 5.0) -> None:
        async with asyncio.timeout(within_s), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/ipn")
        async def ipn(request: Request) -> dict[str, str]:
            body = await request.json()
            async with self._arrived:
                self.received.append(body)
                self._arrived.notify_all()
            code = self.replies.pop(0) if self.replies else "00"
            if confirmation_signature(body) != body["MaXacThuc"]:
                code = "97"
            return {"MaLoi": code}

        return app


@pytest.fixture
async def partner() -> AsyncIterator[Partner]:
    receiver = Partner()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/ipn"
    server = uvicorn.Server(uvicorn.Config(receiver.app(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started)
    yield receiver
    server.should_exit = True
    async with asyncio.timeout(5):
        await task
    sock.close()


def settings(partner: Partner, **changes: Any) -> PaymentSettings:
    values: dict[str, Any] = {
        "partners": {PARTNER: PartnerConfig(secret=SECRET, callback_url=partner.url)},
        "latency": Latency(),
        "confirm_delay_min_s": 0.2,
        "confirm_delay_max_s": 0.3,
        "callback_backoff_s": 0.05,
        "lost_callback_rate": 0.0,
        "stay_pending_rate": 0.0,
        "seed": 11,
    }
    return PaymentSettings(**(values | changes))


async def until(check: Callable[[], bool | Awaitable[bool]], within_s: float = 5.0) -> None:
    """Wait, polling every 20 ms, until `check` holds; fail after `within_s`."""
    for _ in range(int(within_s / 0.02)):
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within_s} s")


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payment", timeout=5) as client:
            yield client


async def pay(client: httpx.AsyncClient) -> None:
    url = (await client.post("/api/v1/init", json=init_message())).json()["message"]["UrlThanhToan"]
    response = await client.post(httpx.URL(url).path, data={"outcome": "success"})
    assert response.status_code == 200


async def effects(client: httpx.AsyncClient) -> dict[str, int]:
    result: dict[str, int] = (await client.get("/_control/effects")).json()
    return result


async def failed(client: httpx.AsyncClient) -> bool:
    return (await effects(client))["callbacks_failed"] > 0


async def sent(client: httpx.AsyncClient) -> bool:
    return (await effects(client))["callbacks_sent"] > 0


async def test_confirmation_arrives_signed_at_the_partner_after_the_delay(partner: Partner) -> None:
    async for client in serve(create_app(settings(partner))):
        await pay(client)
        assert partner.received == []  # not before the configured delay

        await partner.wait_for(1)

        callback = partner.received[0]
        assert callback["MaXacThuc"] == confirmation_signature(callback)
        assert callback["LoaiBanTin"] == "IPN" and callback["MaLoi"] == "00"
        assert callback["MaDoiTac"] == PARTNER and callback["MaThamChieu"] == REFERENCE
        assert callback["SoTien"] == AMOUNT
        status = (await client.post("/api/v1/query", json=query_message())).json()["message"]
        assert callback["MaGiaoDich"] == status["MaGiaoDich"]
        await until(partial(sent, client))


async def test_time_scale_shortens_the_confirmation_delay(partner: Partner) -> None:
    scaled = settings(partner, confirm_delay_min_s=60.0, confirm_delay_max_s=60.0, time_scale=0.005)
    async for client in serve(create_app(scaled)):
        await pay(client)

        await partner.wait_for(1)  # 60 s × 0.005 = 0.3 s


async def test_partner_answering_99_gets_the_confirmation_again_until_it_answers_00(partner: Partner) -> None:
    partner.replies = ["99", "99"]
    async for client in serve(create_app(settings(partner))):
        await pay(client)

        await partner.wait_for(3)

        await until(partial(sent, client))
        assert len({c["MaXacThuc"] for c in partner.received}) == 1  # the same confirmation each time
        counted = await effects(client)
        assert counted["callbacks_attempts"] == 3
        assert (counted["callbacks_sent"], counted["callbacks_failed"]) == (1, 0)


async def test_confirmation_never_taken_is_given_up_after_the_configured_attempts(partner: Partner) -> None:
    partner.replies = ["99"] * 10
    async for client in serve(create_app(settings(partner, callback_attempts=3))):
        await pay(client)
        await partner.wait_for(3)
        await until(partial(failed, client))

        assert len(partner.received) == 3
        assert (await effects(client))["callbacks_sent"] == 0


async def test_unreachable_partner_is_retried_then_given_up() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    nowhere = PartnerConfig(secret=SECRET, callback_url=f"http://127.0.0.1:{closed.getsockname()[1]}/ipn")
    quick = settings(Partner(), partners={PARTNER: nowhere}, callback_attempts=2, confirm_delay_min_s=0.0)
    async for client in serve(create_app(quick)):
        await pay(client)
        await until(partial(failed, client))

        assert (await effects(client))["callbacks_attempts"] == 2
    closed.close()


async def test_lost_confirmation_never_arrives_but_the_query_still_reports_success(partner: Partner) -> None:
    async for client in serve(create_app(settings(partner, lost_callback_rate=1.0))):
        await pay(client)
        await asyncio.sleep(0.6)  # twice the longest configured delay

        assert partner.received == []
        assert (await effects(client))["callbacks_lost"] == 1
        status = (await client.post("/api/v1/query", json=query_message())).json()["message"]
        assert status["TrangThaiGD"] == 1


async def test_lost_callbacks_switched_on_at_runtime_through_the_fault_controls(partner: Partner) -> None:
    async for client in serve(create_app(settings(partner))):
        patched = await client.patch("/_control/faults", json={"lost_callback_rate": 1.0})
        assert patched.status_code == 200

        await pay(client)

        assert (await effects(client))["callbacks_lost"] == 1
        assert (await client.get("/_control/faults")).json()["stats"]["lost_callback"] == 1


async def test_stuck_payment_sends_no_confirmation_and_queries_pending(partner: Partner) -> None:
    async for client in serve(create_app(settings(partner, stay_pending_rate=1.0))):
        await pay(client)
        await asyncio.sleep(0.6)

        assert partner.received == []
        status = (await client.post("/api/v1/query", json=query_message())).json()["message"]
        assert status["TrangThaiGD"] == 3


async def test_shutdown_cancels_confirmations_still_waiting(partner: Partner) -> None:
    app = create_app(settings(partner, confirm_delay_min_s=30.0, confirm_delay_max_s=30.0))
    async for client in serve(app):
        await pay(client)
        assert app.state.platform.confirmations.in_flight == 1
    await asyncio.sleep(0.1)

    assert partner.received == []
    assert app.state.platform.confirmations is None


async def test_confirmations_beyond_the_bound_are_dropped_not_queued(partner: Partner) -> None:
    bounded = settings(partner, confirm_delay_min_s=30.0, confirm_delay_max_s=30.0, max_scheduled_callbacks=1)
    async for client in serve(create_app(bounded)):
        await pay(client)
        second = init_message() | {"MaThamChieu": "HS-031-0043"}
        second["MaXacThuc"] = sha256_joined(
            *(second[k] for k in ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe",
                                  "ThongTinGiaoDich", "ThoiGianGD", "Ip", "NgonNgu")), SECRET,
        )  # fmt: skip
        await client.post("/api/v1/init", json=second)
        command = {"MaDoiTac": PARTNER, "MaThamChieu": "HS-031-0043", "outcome": "success"}
        await client.post("/_control/payments/complete", json=command)

        counted = await effects(client)
        assert (counted["callbacks_scheduled"], counted["callbacks_dropped"]) == (1, 1)
