"""HoanTien: the payment adapter refunds a fee and cancels its e-receipt at the PayGov mock (in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from adapters.payment import PaymentAdapter, PaymentConfig
from bus.errors import BadRequest, ProviderRejected
from bus.store import MemoryStore
from services.faults import Latency
from services.payment import PaymentSettings, create_app
from tests.adapters.test_payment_adapter import INITIATE, PARTNER, STATUS, envelope, initiate_payload

REFUND = "VN/GOV/NAPAS/PAYGOV/HoanTien/v1"
Pair = tuple[PaymentAdapter, httpx.AsyncClient, httpx.ASGITransport]


@pytest.fixture
async def platform() -> AsyncIterator[Pair]:
    """(the adapter on the mock in-process, a control client on the mock, the mock's transport)."""
    settings = PaymentSettings(latency=Latency(), stay_pending_rate=0.0, lost_callback_rate=0.0, seed=5)
    transport = httpx.ASGITransport(app=create_app(settings))
    adapter = PaymentAdapter(
        PaymentConfig(base_url="http://paygov"), store=MemoryStore(), transport=transport
    )
    await adapter.start()
    async with httpx.AsyncClient(transport=transport, base_url="http://paygov") as control:
        yield adapter, control, transport
    await adapter.close()


async def opened(pair: Pair, reference: str, outcome: str | None = None) -> None:
    adapter, control, _ = pair
    await adapter.handle(envelope(INITIATE, initiate_payload(reference)))
    if outcome is not None:
        command = {"MaDoiTac": PARTNER, "MaThamChieu": reference, "outcome": outcome}
        assert (await control.post("/_control/payments/complete", json=command)).status_code == 200


async def refund(pair: Pair, reference: str, **extra: Any) -> dict[str, Any]:
    answer = await pair[0].handle(envelope(REFUND, {"reference": reference, "reason": "Từ chối"} | extra))
    assert isinstance(answer, dict)
    return answer


async def effects(pair: Pair) -> dict[str, int]:
    counts: dict[str, int] = (await pair[1].get("/_control/effects")).json()
    return counts


async def test_a_paid_fee_is_refunded_once_with_its_e_receipt_cancelled(platform: Pair) -> None:
    await opened(platform, "HS-RF-1", "success")
    first = await refund(platform, "HS-RF-1")
    again = await refund(platform, "HS-RF-1")  # a retry after a lost answer

    assert first["status"] == "refunded" and first["e_receipt_cancelled"] is True
    assert first["refund_no"].startswith("HT") and first["amount_vnd"] == 70_000
    assert again == first
    assert (await effects(platform))["refunds"] == 1 and (await effects(platform))["receipts_cancelled"] == 1
    status = await platform[0].handle(envelope(STATUS, {"reference": "HS-RF-1"}))
    assert isinstance(status, dict) and status["status"] == "refunded"


async def test_a_refund_may_keep_the_e_receipt(platform: Pair) -> None:
    await opened(platform, "HS-RF-2", "success")
    answer = await refund(platform, "HS-RF-2", cancel_e_receipt=False)
    assert answer["status"] == "refunded" and answer["e_receipt_cancelled"] is False
    assert (await effects(platform))["receipts_cancelled"] == 0


async def test_an_unpaid_payment_is_cancelled_and_can_no_longer_be_paid(platform: Pair) -> None:
    await opened(platform, "HS-RF-3")
    answer = await refund(platform, "HS-RF-3")
    command = {"MaDoiTac": PARTNER, "MaThamChieu": "HS-RF-3", "outcome": "success"}
    late_payment = await platform[1].post("/_control/payments/complete", json=command)

    assert answer["status"] == "cancelled" and answer["refund_no"] is None
    assert late_payment.status_code == 409
    status = await platform[0].handle(envelope(STATUS, {"reference": "HS-RF-3"}))
    assert isinstance(status, dict) and status["status"] == "failed"
    assert (await effects(platform))["refunds"] == 0


async def test_a_failed_payment_needs_no_refund(platform: Pair) -> None:
    await opened(platform, "HS-RF-4", "fail")
    answer = await refund(platform, "HS-RF-4")
    assert answer["status"] == "not_needed" and answer["e_receipt_cancelled"] is False


async def test_a_wrong_amount_an_unknown_reference_or_a_bad_signature_is_refused_and_refunds_nothing(
    platform: Pair,
) -> None:
    await opened(platform, "HS-RF-5", "success")
    with pytest.raises(ProviderRejected, match="amount"):
        await refund(platform, "HS-RF-5", amount_vnd=1)
    with pytest.raises(ProviderRejected, match="no such reference"):
        await refund(platform, "HS-RF-NONE", amount_vnd=70_000)
    with pytest.raises(BadRequest, match="amount_vnd"):
        await refund(platform, "HS-RF-NEVER")  # not initiated through this bus: no amount to use
    forger = PaymentAdapter(
        PaymentConfig(base_url="http://paygov", secret=SecretStr("not-the-secret")),
        store=MemoryStore(),
        transport=platform[2],
    )
    await forger.start()
    try:
        with pytest.raises(ProviderRejected, match="checksum"):
            await forger.handle(
                envelope(REFUND, {"reference": "HS-RF-5", "reason": "x", "amount_vnd": 70_000})
            )
    finally:
        await forger.close()
    assert (await effects(platform))["refunds"] == 0
