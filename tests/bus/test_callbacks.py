"""Provider callbacks → bus events: PayGov's IPN and VNPost's webhook, verified, de-duplicated, published.

The mocks run on uvicorn and call the callbacks router, itself on uvicorn; events are consumed from a
MemoryTransport, all on the test's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from adapters.payment import InitiatedPayment, PaymentAdapter, PaymentConfig
from adapters.payment.wire import CONFIRM_FIELDS
from adapters.sdk import paygov_checksum
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.envelope import Envelope
from bus.events import BusEvent, TransportEventPublisher, decode_event, event_queue
from bus.gateway.callbacks import callbacks_router
from bus.inbound import InboundContext, InboundSettings
from bus.store import MemoryStore
from bus.transport import Delivery, MemoryTransport
from services.faults import Latency
from services.payment import PartnerConfig, PaymentSettings
from services.payment import create_app as create_payment_mock
from services.vnpost import VnpostSettings
from services.vnpost import create_app as create_vnpost_mock

PARTNER = "HPG_LGSP"
SECRET = "hpg-lgsp-paygov-shared-secret"
EVENT_TYPES = ("payment.confirmed", "payment.failed", "parcel.status_changed")


async def until(check: Callable[[], bool | Awaitable[bool]], within_s: float = 5.0) -> None:
    """Poll every 20 ms until `check` holds; fail after `within_s`."""
    for _ in range(int(within_s / 0.02)):
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within_s} s")


async def serve(app: FastAPI) -> AsyncIterator[str]:
    """`app` on uvicorn at 127.0.0.1 on a free port, on this event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started, within_s=10)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    async with asyncio.timeout(10):
        await task
    sock.close()


class Bus:
    """A memory transport, a shared store, the callbacks app, and the events consumed so far."""

    def __init__(self) -> None:
        self.transport = MemoryTransport()
        self.store = MemoryStore()
        self.events: dict[str, list[BusEvent]] = defaultdict(list)
        self.app = FastAPI()
        inbound = InboundContext(TransportEventPublisher(self.transport), self.store, InboundSettings())
        # The adapters as the gateway builds them from the catalog (never started): their default
        # secrets are the mocks' defaults, their records read through the shared store.
        receivers = {"payment": PaymentAdapter(PaymentConfig()), "vnpost": VnpostAdapter(VnpostConfig())}
        self.app.include_router(callbacks_router(receivers, inbound))
        self.url = ""

    async def follow(self, *types: str) -> None:
        """Consume (and so declare) the queues of `types`, keeping every event."""
        for event_type in types:
            await self.transport.consume(event_queue(event_type), self._keep)

    async def _keep(self, delivery: Delivery) -> None:
        event = decode_event(delivery.message)
        self.events[event.type].append(event)
        await delivery.ack()

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=5)


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    world = Bus()
    await world.transport.connect()
    await world.follow(*EVENT_TYPES)
    async for url in serve(world.app):
        world.url = url
        yield world
    await world.transport.close()


@pytest.fixture
async def payment_mock(bus: Bus) -> AsyncIterator[str]:
    ipn_url = f"{bus.url}/callbacks/paygov/{PARTNER}"
    settings = PaymentSettings(
        partners={PARTNER: PartnerConfig(secret=SECRET, callback_url=ipn_url)},
        latency=Latency(),
        confirm_delay_min_s=0.05,
        confirm_delay_max_s=0.1,
        callback_backoff_s=0.05,
        lost_callback_rate=0.0,
        stay_pending_rate=0.0,
        seed=3,
    )
    async for url in serve(create_payment_mock(settings)):
        yield url


@pytest.fixture
async def payments(bus: Bus, payment_mock: str) -> AsyncIterator[PaymentAdapter]:
    adapter = PaymentAdapter(PaymentConfig(base_url=payment_mock), store=bus.store)
    yield adapter
    await adapter.close()


def initiate_payload(reference: str, amount: int = 70_000) -> dict[str, Any]:
    return {
        "reference": reference,
        "amount_vnd": amount,
        "description": "Lệ phí cấp bản sao trích lục khai sinh",
        "dossier": {
            "procedure_code": "2.000635",
            "service_code": "DVC-TL-02",
            "agency_code": "031-STP",
            "dossier_number": f"DOSSIER-{reference}",
            "payer_name": "Trần Văn Đức",
            "payer_id_number": "031089004321",
            "fees": [{"kind": "charge", "code": "LP1", "name": "Lệ phí", "amount_vnd": amount}],
        },
    }


async def initiate(payments: PaymentAdapter, reference: str, amount: int = 70_000) -> None:
    service = "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"
    request = Envelope(client="VN/GOV/HPG/STP", service=service, payload=initiate_payload(reference, amount))
    await payments.handle(request.with_deadline(5))


def signed_ipn(reference: str, amount: int = 70_000, secret: str = SECRET, **changes: Any) -> dict[str, Any]:
    """An IPN as PayGov signs it (after `changes`), for the attack cases."""
    fields: dict[str, Any] = {
        "LoaiBanTin": "IPN",
        "MaLoi": "00",
        "MaDoiTac": PARTNER,
        "MaThamChieu": reference,
        "SoTien": amount,
        "MaTienTe": "VND",
        "MaGiaoDich": "PG000000000042",
        "MaNganHang": "VCB",
        "ThoiGianGD": "20240115093000",
        "ThongTinGiaoDich": "Lệ phí cấp bản sao trích lục khai sinh",
    } | changes
    return fields | {"MaXacThuc": paygov_checksum([fields[name] for name in CONFIRM_FIELDS], secret)}


def without(message: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in message.items() if name != key}


def data(event: BusEvent) -> dict[str, Any]:
    assert isinstance(event.data, dict)
    return event.data


async def send_ipn(bus: Bus, ipn: dict[str, Any], partner: str = PARTNER) -> dict[str, Any]:
    async with bus.http() as http:
        response = await http.post(f"/callbacks/paygov/{partner}", json=ipn)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_paid_payment_becomes_one_payment_confirmed_event_end_to_end(
    bus: Bus, payments: PaymentAdapter, payment_mock: str
) -> None:
    await initiate(payments, "HS-E2E-1")
    async with httpx.AsyncClient(base_url=payment_mock, timeout=5) as mock:
        command = {"MaDoiTac": PARTNER, "MaThamChieu": "HS-E2E-1", "outcome": "success"}
        assert (await mock.post("/_control/payments/complete", json=command)).status_code == 200
        await until(lambda: len(bus.events["payment.confirmed"]) == 1)

        async def taken() -> bool:
            return bool((await mock.get("/_control/effects")).json()["callbacks_sent"] == 1)

        await until(taken)  # the platform read MaLoi "00"
    (event,) = bus.events["payment.confirmed"]
    assert event.source == "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"
    paid = data(event)
    assert (paid["reference"], paid["amount_vnd"]) == ("HS-E2E-1", 70_000)
    assert paid["dossier_number"] == "DOSSIER-HS-E2E-1"
    assert str(paid["transaction_no"]).startswith("PG")
    await asyncio.sleep(0.2)  # a second event, if any, would have arrived by now
    assert len(bus.events["payment.confirmed"]) == 1


async def test_replayed_confirmation_is_answered_02_without_a_second_event(
    bus: Bus, payments: PaymentAdapter
) -> None:
    await initiate(payments, "HS-REPLAY-1")
    assert (await send_ipn(bus, signed_ipn("HS-REPLAY-1")))["MaLoi"] == "00"
    assert (await send_ipn(bus, signed_ipn("HS-REPLAY-1")))["MaLoi"] == "02"
    other_transaction = signed_ipn("HS-REPLAY-1", MaGiaoDich="PG000000000043")
    assert (await send_ipn(bus, other_transaction))["MaLoi"] == "02"
    await until(lambda: len(bus.events["payment.confirmed"]) == 1)
    await asyncio.sleep(0.1)
    assert len(bus.events["payment.confirmed"]) == 1


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("forged signature", lambda: signed_ipn("HS-ATTACK-1", secret="guessed-secret-123"), "97"),
        ("altered amount", lambda: signed_ipn("HS-ATTACK-1") | {"SoTien": 1_000}, "97"),
        ("altered result", lambda: signed_ipn("HS-ATTACK-1", MaLoi="24") | {"MaLoi": "00"}, "97"),
        ("signed other amount", lambda: signed_ipn("HS-ATTACK-1", amount=1_000), "04"),
        ("signed other currency", lambda: signed_ipn("HS-ATTACK-1", MaTienTe="USD"), "04"),
        ("unknown reference", lambda: signed_ipn("HS-NEVER-INITIATED"), "01"),
        ("other partner in body", lambda: signed_ipn("HS-ATTACK-1", MaDoiTac="OTHER"), "97"),
        ("not an IPN", lambda: signed_ipn("HS-ATTACK-1", LoaiBanTin="INIT"), "99"),
        ("missing checksum", lambda: without(signed_ipn("HS-ATTACK-1"), "MaXacThuc"), "99"),
        ("extra field", lambda: signed_ipn("HS-ATTACK-1") | {"Hack": "1"}, "99"),
    ],
)
async def test_bad_confirmation_is_rejected_with_its_code_and_changes_nothing(
    bus: Bus, payments: PaymentAdapter, name: str, make: Callable[[], dict[str, Any]], code: str
) -> None:
    await initiate(payments, "HS-ATTACK-1")
    keys_before = len(bus.store)
    answer = await send_ipn(bus, make())
    assert answer["MaLoi"] == code, name
    assert len(bus.store) == keys_before  # no replay claim was taken
    # The genuine confirmation still goes through afterwards: the refusal consumed nothing.
    assert (await send_ipn(bus, signed_ipn("HS-ATTACK-1")))["MaLoi"] == "00"
    await until(lambda: len(bus.events["payment.confirmed"]) == 1)
    assert [data(e)["reference"] for e in bus.events["payment.confirmed"]] == ["HS-ATTACK-1"]


async def test_confirmation_for_an_unknown_partner_is_rejected(bus: Bus, payments: PaymentAdapter) -> None:
    await initiate(payments, "HS-PARTNER-1")
    answer = await send_ipn(bus, signed_ipn("HS-PARTNER-1", MaDoiTac="OTHER"), partner="OTHER")
    assert answer["MaLoi"] == "97"
    assert bus.events["payment.confirmed"] == []


async def test_malformed_or_oversized_confirmation_is_answered_99(bus: Bus) -> None:
    async with bus.http() as http:
        garbage = await http.post(f"/callbacks/paygov/{PARTNER}", content=b"{not json")
        huge = await http.post(f"/callbacks/paygov/{PARTNER}", content=b"x" * 100_000)
    assert garbage.json()["MaLoi"] == "99" and huge.json()["MaLoi"] == "99"


async def test_failed_payment_confirmation_becomes_a_payment_failed_event(
    bus: Bus, payments: PaymentAdapter
) -> None:
    await initiate(payments, "HS-FAILED-1")
    assert (await send_ipn(bus, signed_ipn("HS-FAILED-1", MaLoi="24")))["MaLoi"] == "00"
    await until(lambda: len(bus.events["payment.failed"]) == 1)
    assert bus.events["payment.confirmed"] == []


async def test_confirmation_not_published_is_answered_99_and_taken_when_delivered_again() -> None:
    world = Bus()  # nobody consumes payment.confirmed yet: the queue does not exist
    await world.transport.connect()
    adapter = PaymentAdapter(PaymentConfig(), store=world.store)
    await adapter.book.record(
        InitiatedPayment(
            partner_code=PARTNER,
            reference="HS-NOROUTE-1",
            amount_vnd=70_000,
            description="x",
            dossier_number="D-1",
            initiated_at=datetime(2024, 1, 15, 2, 30, tzinfo=UTC),
        )
    )
    async for url in serve(world.app):
        world.url = url
        assert (await send_ipn(world, signed_ipn("HS-NOROUTE-1")))["MaLoi"] == "99"
        await world.follow("payment.confirmed")
        assert (await send_ipn(world, signed_ipn("HS-NOROUTE-1")))["MaLoi"] == "00"
        await until(lambda: len(world.events["payment.confirmed"]) == 1)
    await world.transport.close()


@pytest.fixture
async def vnpost_mock(bus: Bus) -> AsyncIterator[str]:
    settings = VnpostSettings(
        latency=Latency(),
        webhook_url=f"{bus.url}/callbacks/vnpost",
        webhook_scan_interval_s=0.05,
        webhook_backoff_s=0.05,
        seed=11,
    )
    async for url in serve(create_vnpost_mock(settings)):
        yield url


@pytest.fixture
async def vnpost(bus: Bus, vnpost_mock: str) -> AsyncIterator[VnpostAdapter]:
    adapter = VnpostAdapter(VnpostConfig(base_url=vnpost_mock), store=bus.store)
    yield adapter
    await adapter.close()


def order(number: str) -> dict[str, Any]:
    party = {"name": "Lê Thị Mai", "phone": "0912345678", "address": "Số 3 Điện Biên Phủ"}
    return {
        "order_number": number,
        "sender": party | {"province_code": "31", "district_code": "303"},
        "receiver": party | {"province_code": "31", "district_code": "304"},
    }


async def test_parcel_status_changes_become_events_in_order_as_the_clock_advances(
    bus: Bus, vnpost: VnpostAdapter, vnpost_mock: str
) -> None:
    service = "VN/COM/VNPOST/BCCP/postOrder/v1"
    request = Envelope(client="VN/GOV/HPG/STP", service=service, payload=order("HS-PARCEL-1"))
    posted = await vnpost.handle(request.with_deadline(5))
    assert isinstance(posted, dict)
    await until(lambda: len(bus.events["parcel.status_changed"]) == 1)
    async with httpx.AsyncClient(base_url=vnpost_mock, timeout=5) as mock:
        await mock.post("/_control/clock/advance", json={"hours": 24 * 10})
    await until(lambda: data(bus.events["parcel.status_changed"][-1])["status"] in ("delivered", "returned"))
    events = bus.events["parcel.status_changed"]
    codes = [data(e)["status_code"] for e in events]
    assert codes[:3] == [1, 2, 3] and len(codes) >= 4
    assert all(data(e)["item_code"] == posted["item_code"] for e in events)
    assert len({e.event_id for e in events}) == len(events)


async def test_duplicate_webhook_is_taken_without_a_second_event(bus: Bus, vnpost: VnpostAdapter) -> None:
    service = "VN/COM/VNPOST/BCCP/postOrder/v1"
    request = Envelope(client="VN/GOV/HPG/STP", service=service, payload=order("HS-PARCEL-2"))
    await vnpost.handle(request.with_deadline(5))
    await until(lambda: len(bus.events["parcel.status_changed"]) == 1)
    (event,) = bus.events["parcel.status_changed"]
    seen = data(event)
    again = {
        "CustomerCode": seen["customer_code"],
        "OrderNumber": seen["order_number"],
        "ItemCode": seen["item_code"],
        "StatusCode": seen["status_code"],
        "StatusMessage": seen["status_message"],
        "EventTime": seen["event_time"],
        "POSID": seen["post_office_id"],
        "Notes": seen["notes"],
    }
    async with bus.http() as http:
        response = await post_webhook(http, again)
    assert response.status_code == 200 and "duplicate" in response.json()["Message"]
    await asyncio.sleep(0.1)
    assert len(bus.events["parcel.status_changed"]) == 1


async def test_webhook_for_an_order_not_posted_through_the_bus_is_refused(bus: Bus) -> None:
    change = {
        "CustomerCode": "HPG_STP",
        "OrderNumber": "FORGED-1",
        "ItemCode": "EB000000001VN",
        "StatusCode": 4,
        "StatusMessage": "Phát thành công",
        "EventTime": "2024-01-15T09:30:00+07:00",
        "POSID": "310000",
        "Notes": "",
    }
    async with bus.http() as http:
        unknown = await post_webhook(http, change)
        malformed = await post_webhook(http, {"OrderNumber": "X"})
    assert (unknown.status_code, malformed.status_code) == (404, 400)
    assert bus.events["parcel.status_changed"] == []
    assert len(bus.store) == 0


async def test_unsigned_or_wrongly_signed_webhook_is_refused_before_anything_else(
    bus: Bus, vnpost: VnpostAdapter
) -> None:
    service = "VN/COM/VNPOST/BCCP/postOrder/v1"
    request = Envelope(client="VN/GOV/HPG/STP", service=service, payload=order("HS-PARCEL-3"))
    await vnpost.handle(request.with_deadline(5))
    await until(lambda: len(bus.events["parcel.status_changed"]) == 1)
    seen = data(bus.events["parcel.status_changed"][0])
    delivered = {
        "CustomerCode": seen["customer_code"],
        "OrderNumber": seen["order_number"],
        "ItemCode": seen["item_code"],
        "StatusCode": 4,
        "StatusMessage": "Phát thành công",
        "EventTime": "2030-01-01T09:00:00+07:00",
        "POSID": seen["post_office_id"],
        "Notes": "",
    }
    stored = len(bus.store)
    async with bus.http() as http:
        unsigned = await http.post("/callbacks/vnpost", json=delivered)
        guessed = await post_webhook(http, delivered, secret="guessed-secret")
    assert (unsigned.status_code, guessed.status_code) == (401, 401)
    assert unsigned.json()["Status"] == guessed.json()["Status"] == "97"
    await asyncio.sleep(0.1)
    assert len(bus.events["parcel.status_changed"]) == 1 and len(bus.store) == stored


async def post_webhook(
    http: httpx.AsyncClient, change: dict[str, Any], *, secret: str = "vnpost-webhook-demo-secret"
) -> httpx.Response:
    """POST a webhook signed as VNPost signs it (HMAC-SHA256 of the raw body), computed here."""
    body = json.dumps(change, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-vnpost-signature": signature}
    return await http.post("/callbacks/vnpost", content=body, headers=headers)
