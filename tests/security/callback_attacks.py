"""The signed-callback cases: forged, altered and replayed PayGov IPNs and VNPost webhooks.

Each is sent to the gateway's /callbacks routes over a payment and a parcel the bus really knows
(`book_callback_subjects`); a rejection must publish no event and write nothing to the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.payment import InitiatedPayment, PaymentBook
from adapters.payment.wire import CONFIRM_FIELDS
from adapters.sdk import paygov_checksum
from adapters.vnpost import OrderBook
from tests.in_process_stack import PAYGOV_PARTNER, PAYGOV_SECRET, SecuredStack
from tests.security.attacks import Attack

AMOUNT = 70_000
PAID = "SEC-PAY-1"  # forged and altered confirmations of this payment
REPLAYED = "SEC-PAY-2"  # confirmed once for real, then replayed
CUSTOMER = "HPG_STP"
PARCEL = "SEC-PARCEL-1"
ITEM_CODE = "EB000000031VN"
IPN_URL = f"/callbacks/paygov/{PAYGOV_PARTNER}"
WEBHOOK_URL = "/callbacks/vnpost"


async def book_callback_subjects(stack: SecuredStack) -> None:
    """Record what the payment and VNPost adapters would have: two initiated payments, one posted order."""
    payments = PaymentBook(stack.store)
    for reference in (PAID, REPLAYED):
        await payments.record(
            InitiatedPayment(
                partner_code=PAYGOV_PARTNER,
                reference=reference,
                amount_vnd=AMOUNT,
                description="Lệ phí cấp bản sao trích lục khai sinh",
                dossier_number=f"H31.29-{reference}",
                initiated_at=datetime(2025, 1, 5, 2, 30, tzinfo=UTC),
            )
        )
    await OrderBook(stack.store).record(CUSTOMER, PARCEL, ITEM_CODE)


def ipn(reference: str = PAID, secret: str = PAYGOV_SECRET, **changes: Any) -> dict[str, Any]:
    """A confirmation as PayGov signs it (after `changes`)."""
    fields: dict[str, Any] = {
        "LoaiBanTin": "IPN",
        "MaLoi": "00",
        "MaDoiTac": PAYGOV_PARTNER,
        "MaThamChieu": reference,
        "SoTien": AMOUNT,
        "MaTienTe": "VND",
        "MaGiaoDich": "PG000000000042",
        "MaNganHang": "VCB",
        "ThoiGianGD": "20250105093000",
        "ThongTinGiaoDich": "Lệ phí cấp bản sao trích lục khai sinh",
    } | changes
    return fields | {"MaXacThuc": paygov_checksum([fields[name] for name in CONFIRM_FIELDS], secret)}


def status_change(**changes: Any) -> dict[str, Any]:
    """A VNPost status change of the posted parcel (after `changes`)."""
    return {
        "CustomerCode": CUSTOMER,
        "OrderNumber": PARCEL,
        "ItemCode": ITEM_CODE,
        "StatusCode": 2,
        "StatusMessage": "Đang vận chuyển",
        "EventTime": "2025-01-05T10:15:00+07:00",
        "POSID": "310000",
        "Notes": "Bưu cục Hải Phòng",
    } | changes


# The VNPost mock's default webhook secret, which the VNPost adapter's config trusts by default.
WEBHOOK_SECRET = "vnpost-webhook-demo-secret"


def webhook_signature(body: bytes, secret: str) -> str:
    """`sha256=` + HMAC-SHA256 of the raw body, computed here independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _post(
    stack: SecuredStack, url: str, message: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET
) -> httpx.Response:
    body = json.dumps(message, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    if url == WEBHOOK_URL and secret is not None:
        headers["x-vnpost-signature"] = webhook_signature(body, secret)
    return await stack.http.post(url, content=body, headers=headers)


def paygov_outcome(response: httpx.Response) -> str:
    """`STATUS MaLoi CODE`: PayGov reads the code, not the HTTP status."""
    code = response.json().get("MaLoi") if response.status_code == 200 else None
    return f"{response.status_code} MaLoi {code}"


def vnpost_outcome(response: httpx.Response) -> str:
    """`STATUS Status CODE`, with 'duplicate' when the change was already taken."""
    body = response.json()
    duplicate = " duplicate" if str(body.get("Message", "")).startswith("duplicate") else ""
    return f"{response.status_code} Status {body.get('Status')}{duplicate}"


def paygov(message: dict[str, Any], url: str = IPN_URL) -> Callable[..., Awaitable[str]]:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        return paygov_outcome(await _post(stack, url, message))

    return run


def vnpost(message: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET) -> Callable[..., Awaitable[str]]:
    """Deliver a webhook signed with `secret` (VNPost's own by default; None: unsigned)."""

    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        return vnpost_outcome(await _post(stack, WEBHOOK_URL, message, secret=secret))

    return run


def taken_once(url: str, message: dict[str, Any], outcome: str) -> Callable[[SecuredStack], Awaitable[None]]:
    """Deliver the genuine message first; the replay is measured after it."""

    async def prepare(stack: SecuredStack) -> None:
        response = await _post(stack, url, message)
        seen = paygov_outcome(response) if url == IPN_URL else vnpost_outcome(response)
        if seen != outcome:
            raise AssertionError(f"the genuine message was not taken: {seen} ({response.text})")

    return prepare


IPN_TARGET = "POST /callbacks/paygov/{partner}"
WEBHOOK_TARGET = "POST /callbacks/vnpost"
BAD_CHECKSUM = "200 MaLoi 97"

CALLBACK_ATTACKS: list[Attack] = [
    Attack("IPN forged with a guessed secret", IPN_TARGET, BAD_CHECKSUM,
           paygov(ipn(secret="guessed-secret-1"))),
    Attack("IPN without its checksum", IPN_TARGET, "200 MaLoi 99",
           paygov({k: v for k, v in ipn().items() if k != "MaXacThuc"})),
    Attack("IPN amount altered after signing", IPN_TARGET, BAD_CHECKSUM, paygov(ipn() | {"SoTien": 1_000})),
    Attack("IPN failure altered into success", IPN_TARGET, BAD_CHECKSUM,
           paygov(ipn(MaLoi="24") | {"MaLoi": "00"})),
    Attack("IPN reference altered after signing", IPN_TARGET, BAD_CHECKSUM,
           paygov(ipn() | {"MaThamChieu": REPLAYED})),
    Attack("IPN signed for another amount", IPN_TARGET, "200 MaLoi 04", paygov(ipn(SoTien=1_000))),
    Attack("IPN for a reference never initiated", IPN_TARGET, "200 MaLoi 01",
           paygov(ipn("SEC-NEVER-INITIATED"))),
    Attack("IPN sent to another partner's URL", IPN_TARGET, BAD_CHECKSUM,
           paygov(ipn(MaDoiTac="OTHER"), url="/callbacks/paygov/OTHER")),
    Attack("IPN replayed", IPN_TARGET, "200 MaLoi 02", paygov(ipn(REPLAYED)),
           prepare=taken_once(IPN_URL, ipn(REPLAYED), "200 MaLoi 00")),
    # Right after the replay above: the same payment, taken already.
    Attack("IPN replayed with another MaGiaoDich", IPN_TARGET, "200 MaLoi 02",
           paygov(ipn(REPLAYED, MaGiaoDich="PG000000000043"))),
    Attack("webhook forged for an order never posted", WEBHOOK_TARGET, "404 Status 03",
           vnpost(status_change(OrderNumber="SEC-FORGED-1", StatusCode=4))),
    Attack("webhook customer altered", WEBHOOK_TARGET, "404 Status 03",
           vnpost(status_change(CustomerCode="HPG_OTHER"))),
    Attack("webhook item code altered", WEBHOOK_TARGET, "404 Status 03",
           vnpost(status_change(ItemCode="EB999999999VN", StatusCode=4))),
    Attack("webhook 'delivered' forged for a posted parcel (guessed secret)", WEBHOOK_TARGET, "401 Status 97",
           vnpost(status_change(StatusCode=4, StatusMessage="Phát thành công",
                                EventTime="2025-01-05T11:00:00+07:00"), secret="guessed-secret-1")),
    Attack("webhook without its signature", WEBHOOK_TARGET, "401 Status 97",
           vnpost(status_change(StatusCode=4, EventTime="2025-01-05T11:05:00+07:00"), secret=None)),
    Attack("webhook with an injected field", WEBHOOK_TARGET, "400 Status 01",
           vnpost(status_change() | {"CODAmount": 0})),
    Attack("webhook replayed", WEBHOOK_TARGET, "200 Status 00 duplicate", vnpost(status_change()),
           prepare=taken_once(WEBHOOK_URL, status_change(), "200 Status 00"), survives=True),
]  # fmt: skip
