"""Payment adapter against the real PayGov mock served by uvicorn: initiate, status, refusals, faults."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from adapters.payment import PaymentAdapter, PaymentBook, create_adapter
from adapters.payment.adapter import PaymentConfig
from bus.envelope import Envelope
from bus.errors import (
    BadRequest,
    BadResponse,
    BusError,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    UnknownService,
)
from bus.store import MemoryStore
from services.faults import FaultControlClient, Latency
from services.payment import PaymentSettings, create_app

INITIATE = "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"
STATUS = "VN/GOV/NAPAS/PAYGOV/TraCuuGiaoDich/v1"
PARTNER = "HPG_LGSP"
Payload = dict[str, Any]


async def _until_started(server: uvicorn.Server) -> None:
    for _ in range(500):  # uvicorn offers no event to wait on; 10 s at most
        if server.started:
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("payment mock did not start")


@pytest.fixture
async def mock_url() -> AsyncIterator[str]:
    """The payment mock on uvicorn, 127.0.0.1, a free port; no latency, no pending, seeded."""
    settings = PaymentSettings(latency=Latency(), stay_pending_rate=0.0, lost_callback_rate=0.0, seed=5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await _until_started(server)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    async with asyncio.timeout(10):
        await task
    sock.close()


@pytest.fixture
async def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def adapter(mock_url: str, store: MemoryStore) -> AsyncIterator[PaymentAdapter]:
    payment = PaymentAdapter(PaymentConfig(base_url=mock_url, timeout_cap=5), store=store)
    await payment.start()
    yield payment
    await payment.close()


@pytest.fixture
async def faults(mock_url: str) -> AsyncIterator[FaultControlClient]:
    async with FaultControlClient(mock_url) as control:
        yield control


@asynccontextmanager
async def running(payment: PaymentAdapter) -> AsyncIterator[PaymentAdapter]:
    await payment.start()
    try:
        yield payment
    finally:
        await payment.close()


def envelope(service: str, payload: Any, deadline: float = 5.0) -> Envelope:
    return Envelope(client="VN/GOV/HPG/STP", service=service, payload=payload).with_deadline(deadline)


def initiate_payload(reference: str = "HS-031-0001", fees: tuple[int, ...] = (50_000, 20_000)) -> Payload:
    return {
        "reference": reference,
        "amount_vnd": sum(fees),
        "description": "Lệ phí đăng ký khai sinh – hồ sơ HS-031-0001",
        "dossier": {
            "procedure_code": "1.001193",
            "service_code": "DVC-KS-01",
            "agency_code": "031-STP",
            "dossier_number": "000.00.31.H26-240101-0001",
            "payer_name": "Nguyễn Thị Hồng Nhung",
            "payer_id_number": "031190001234",
            "fees": [
                {"kind": "charge" if i else "fee", "code": f"P{i}", "name": f"Khoản {i}", "amount_vnd": fee}
                for i, fee in enumerate(fees)
            ],
        },
    }


async def complete(mock_url: str, reference: str, outcome: str = "success") -> None:
    async with httpx.AsyncClient(base_url=mock_url, timeout=5) as control:
        command = {"MaDoiTac": PARTNER, "MaThamChieu": reference, "outcome": outcome}
        response = await control.post("/_control/payments/complete", json=command)
        assert response.status_code == 200, response.text


async def effects(mock_url: str) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=mock_url, timeout=5) as control:
        result: dict[str, int] = (await control.get("/_control/effects")).json()
        return result


async def test_initiate_without_a_reference_uses_the_request_code_so_a_client_retry_is_one_payment(
    adapter: PaymentAdapter, mock_url: str
) -> None:
    payload = initiate_payload() | {"reference": None}
    first = envelope(INITIATE, payload).model_copy(update={"idempotency_key": "k-fee"})
    again = envelope(INITIATE, payload).model_copy(update={"idempotency_key": "k-fee"})  # a client retry
    answers = [await adapter.handle(first), await adapter.handle(again)]
    assert answers[0] == answers[1]
    assert isinstance(answers[0], dict) and answers[0]["reference"] == first.request_code
    assert (await effects(mock_url))["payments_created"] == 1


async def test_initiate_answers_the_platform_payment_url_and_records_the_payment(
    adapter: PaymentAdapter, store: MemoryStore, mock_url: str
) -> None:
    answer = await adapter.handle(envelope(INITIATE, initiate_payload()))
    assert isinstance(answer, dict)
    assert answer["reference"] == "HS-031-0001"
    assert str(answer["payment_url"]).startswith("http://127.0.0.1:8103/pay/")
    recorded = await PaymentBook(store).find(PARTNER, "HS-031-0001")
    assert recorded is not None
    assert (recorded.amount_vnd, recorded.dossier_number) == (70_000, "000.00.31.H26-240101-0001")
    assert (await effects(mock_url))["payments_created"] == 1


async def test_initiate_redelivered_gets_the_same_payment_url_and_one_payment(
    adapter: PaymentAdapter, mock_url: str
) -> None:
    first = await adapter.handle(envelope(INITIATE, initiate_payload()))
    again = await adapter.handle(envelope(INITIATE, initiate_payload()))
    assert first == again
    assert (await effects(mock_url))["payments_created"] == 1


async def test_status_follows_the_payment_from_pending_to_success_with_bank_and_transaction(
    adapter: PaymentAdapter, mock_url: str
) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-STATUS-1")))
    before = await adapter.handle(envelope(STATUS, {"reference": "HS-STATUS-1"}))
    assert isinstance(before, dict)
    assert (before["status"], before["transaction_no"], before["bank_code"]) == ("pending", None, None)
    await complete(mock_url, "HS-STATUS-1")
    after = await adapter.handle(envelope(STATUS, {"reference": "HS-STATUS-1"}))
    assert isinstance(after, dict)
    assert after["status"] == "success" and after["amount_vnd"] == 70_000
    assert str(after["transaction_no"]).startswith("PG") and after["bank_code"]
    assert after["paid_at"] is not None


async def test_status_of_a_failed_payment_is_failed(adapter: PaymentAdapter, mock_url: str) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-FAIL-1")))
    await complete(mock_url, "HS-FAIL-1", "fail")
    answer = await adapter.handle(envelope(STATUS, {"reference": "HS-FAIL-1"}))
    assert isinstance(answer, dict) and answer["status"] == "failed"


async def test_status_of_an_unknown_reference_is_a_clean_not_found(adapter: PaymentAdapter) -> None:
    answer = await adapter.handle(envelope(STATUS, {"reference": "NEVER-SEEN", "amount_vnd": 1000}))
    assert answer == {
        "reference": "NEVER-SEEN",
        "status": "not_found",
        "amount_vnd": None,
        "bank_code": None,
        "transaction_no": None,
        "paid_at": None,
    }


async def test_status_without_amount_of_a_reference_not_initiated_here_is_a_bad_request(
    adapter: PaymentAdapter,
) -> None:
    with pytest.raises(BadRequest, match="amount_vnd"):
        await adapter.handle(envelope(STATUS, {"reference": "NEVER-SEEN"}))


async def test_status_with_another_amount_is_rejected_naming_the_amount(adapter: PaymentAdapter) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-AMT-1")))
    with pytest.raises(ProviderRejected, match="amount_vnd"):
        await adapter.handle(envelope(STATUS, {"reference": "HS-AMT-1", "amount_vnd": 1}))


async def test_initiate_again_with_another_amount_is_rejected_naming_the_amount(
    adapter: PaymentAdapter, store: MemoryStore
) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-AMT-2")))
    with pytest.raises(ProviderRejected, match="amount_vnd"):
        await adapter.handle(envelope(INITIATE, initiate_payload("HS-AMT-2", fees=(1_000,))))
    recorded = await PaymentBook(store).find(PARTNER, "HS-AMT-2")
    assert recorded is not None and recorded.amount_vnd == 70_000  # the refused one changed nothing


async def test_initiate_of_a_completed_reference_is_rejected_naming_the_reference(
    adapter: PaymentAdapter, mock_url: str
) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-DONE-1")))
    await complete(mock_url, "HS-DONE-1")
    with pytest.raises(ProviderRejected, match="reference"):
        await adapter.handle(envelope(INITIATE, initiate_payload("HS-DONE-1")))


async def test_wrong_secret_is_rejected_as_a_bad_checksum(mock_url: str) -> None:
    config = PaymentConfig(base_url=mock_url, secret="not-the-shared-secret")
    async with running(PaymentAdapter(config, store=MemoryStore())) as payment:
        with pytest.raises(ProviderRejected, match="checksum"):
            await payment.handle(envelope(INITIATE, initiate_payload()))


async def test_unknown_partner_is_rejected_naming_the_partner(mock_url: str) -> None:
    config = PaymentConfig(base_url=mock_url, partner_code="NOT_A_PARTNER")
    async with running(PaymentAdapter(config, store=MemoryStore())) as payment:
        with pytest.raises(ProviderRejected, match="partner"):
            await payment.handle(envelope(INITIATE, initiate_payload()))


async def test_fees_not_adding_up_is_a_bad_request_and_nothing_is_sent(
    adapter: PaymentAdapter, store: MemoryStore, mock_url: str
) -> None:
    payload = initiate_payload("HS-BAD-1") | {"amount_vnd": 999}
    with pytest.raises(BadRequest, match="amount_vnd"):
        await adapter.handle(envelope(INITIATE, payload))
    assert await PaymentBook(store).find(PARTNER, "HS-BAD-1") is None
    assert (await effects(mock_url))["payments_created"] == 0


async def test_status_answer_altered_on_the_way_is_a_bad_response(mock_url: str) -> None:
    class Tampering(httpx.AsyncHTTPTransport):
        """Changes the bank code of every query answer, as a man in the middle would."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.url.path != "/api/v1/query":
                return response
            body = json.loads(await response.aread())
            body["message"]["MaNganHang"] = "EVILBANK"
            return httpx.Response(response.status_code, json=body)

    payment = PaymentAdapter(PaymentConfig(base_url=mock_url), store=MemoryStore(), transport=Tampering())
    async with running(payment):
        await payment.handle(envelope(INITIATE, initiate_payload("HS-MITM-1")))
        await complete(mock_url, "HS-MITM-1")
        with pytest.raises(BadResponse, match="checksum"):
            await payment.handle(envelope(STATUS, {"reference": "HS-MITM-1"}))


async def test_unknown_service_is_refused(adapter: PaymentAdapter) -> None:
    with pytest.raises(UnknownService):
        await adapter.handle(envelope("VN/GOV/NAPAS/PAYGOV/ChuyenKhoan/v1", {}))


def test_factory_rejects_a_bad_config_naming_the_key() -> None:
    with pytest.raises(ValueError, match="timeout_cap"):
        create_adapter({"timeout_cap": -1})
    with pytest.raises(ValueError, match="base_url"):
        create_adapter({"base_url": "ftp://x"})


def test_factory_defaults_are_the_mock_partner_and_the_secret_is_not_shown() -> None:
    payment = create_adapter({})
    assert (payment.config.base_url, payment.config.partner_code) == ("http://127.0.0.1:8103", PARTNER)
    assert "hpg-lgsp-paygov-shared-secret" not in repr(payment.config)


async def test_provider_hang_with_short_deadline_is_provider_timeout(
    adapter: PaymentAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"timeout_rate": 1.0, "hang_seconds": 30.0})
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await adapter.handle(envelope(INITIATE, initiate_payload(), deadline=0.5))
    assert time.monotonic() - started < 3  # the mock would hang for 30 s


@pytest.mark.chaos
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"error_rate": 1.0, "error_status": 500}, ProviderError),
        ({"error_rate": 1.0, "error_status": 502}, ProviderError),
        ({"error_rate": 1.0, "error_status": 503}, ProviderUnavailable),
        ({"malformed_rate": 1.0}, BadResponse),
        ({"outage": True}, ProviderUnavailable),
    ],
)
async def test_injected_fault_maps_to_its_taxonomy_error(
    adapter: PaymentAdapter, faults: FaultControlClient, changes: dict[str, Any], error: type[BusError]
) -> None:
    await faults.patch(changes)
    with pytest.raises(error) as raised:
        await adapter.handle(envelope(INITIATE, initiate_payload()))
    assert type(raised.value) is error


@pytest.mark.chaos
async def test_malformed_status_answer_is_a_bad_response(
    adapter: PaymentAdapter, faults: FaultControlClient
) -> None:
    await adapter.handle(envelope(INITIATE, initiate_payload("HS-GARBLE-1")))
    await faults.patch({"malformed_rate": 1.0})
    with pytest.raises(BadResponse):
        await adapter.handle(envelope(STATUS, {"reference": "HS-GARBLE-1"}))


@pytest.mark.chaos
async def test_rate_limited_provider_is_unavailable_with_retry_after(
    adapter: PaymentAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"rate_limit_per_second": 0.5})
    with pytest.raises(ProviderUnavailable) as raised:
        for _ in range(5):  # the bucket lets the first request or two through
            await adapter.handle(envelope(INITIATE, initiate_payload()))
    assert raised.value.retry_after is not None and raised.value.retry_after >= 1


def test_public_surface_is_what_all_names() -> None:
    import adapters.payment as package

    assert all(hasattr(package, name) for name in package.__all__)
    assert {"create_adapter", "PaymentAdapter", "PaymentBook", "verify_confirmation"} <= set(package.__all__)
