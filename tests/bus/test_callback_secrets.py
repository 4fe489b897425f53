"""One source for each callback secret: the gateway as deployed checks PayGov confirmations and VNPost
webhooks with the secrets of the payment and VNPost adapters' catalog sections, not with defaults."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.payment.wire import CONFIRM_FIELDS
from adapters.sdk import paygov_checksum
from bus.catalog import hash_api_key, load_catalog
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport import MemoryTransport

PARTNER = "HPG_LGSP_SECRETS"
PAYGOV_SECRET = "paygov-secret-from-the-catalog-5c1e"
WEBHOOK_SECRET = "vnpost-webhook-secret-from-the-catalog-93ad"
DEFAULT_PAYGOV_SECRET = "hpg-lgsp-paygov-shared-secret"  # the adapters' (and mocks') defaults
DEFAULT_WEBHOOK_SECRET = "vnpost-webhook-demo-secret"

CATALOG = f"""
adapters:
  payment: {{partner_code: {PARTNER}, secret: {PAYGOV_SECRET}, store_url: "${{bus.store_url}}"}}
  vnpost: {{webhook_secret: {WEBHOOK_SECRET}, store_url: "${{bus.store_url}}"}}
clients:
  - id: VN/GOV/HPG/STP
    groups: [province]
    api_key_sha256: [{hash_api_key("k")}]
services:
  - id: VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1
    adapter: payment
    allow: [group:province]
  - id: VN/COM/VNPOST/BCCP/postOrder/v1
    adapter: vnpost
    allow: [group:province]
"""


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    settings = BusSettings(catalog=path, redis_url=None, amqp_url=None)
    app = assemble_gateway(load_catalog(path), MemoryTransport(), settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http


def ipn(secret: str) -> dict[str, Any]:
    """A confirmation for a reference the bus never initiated, signed with `secret`."""
    fields: dict[str, Any] = {
        "LoaiBanTin": "IPN",
        "MaLoi": "00",
        "MaDoiTac": PARTNER,
        "MaThamChieu": "HS-NEVER-INITIATED",
        "SoTien": 70_000,
        "MaTienTe": "VND",
        "MaGiaoDich": "PG000000000042",
        "MaNganHang": "VCB",
        "ThoiGianGD": "20240115093000",
        "ThongTinGiaoDich": "Lệ phí cấp bản sao trích lục khai sinh",
    }
    return fields | {"MaXacThuc": paygov_checksum([fields[name] for name in CONFIRM_FIELDS], secret)}


def webhook(secret: str) -> tuple[bytes, dict[str, str]]:
    """A status change of an order the bus never posted, signed with `secret`."""
    body = json.dumps(
        {
            "CustomerCode": "HPG_STP",
            "OrderNumber": "NEVER-POSTED-1",
            "ItemCode": "EB000000001VN",
            "StatusCode": 4,
            "StatusMessage": "Phát thành công",
            "EventTime": "2024-01-15T09:30:00+07:00",
            "POSID": "310000",
        },
        ensure_ascii=False,
    ).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"content-type": "application/json", "x-vnpost-signature": signature}


async def test_paygov_confirmations_are_checked_with_the_payment_adapters_catalog_secret(
    gateway: httpx.AsyncClient,
) -> None:
    url = f"/callbacks/paygov/{PARTNER}"
    catalog_signed = (await gateway.post(url, json=ipn(PAYGOV_SECRET))).json()
    default_signed = (await gateway.post(url, json=ipn(DEFAULT_PAYGOV_SECRET))).json()
    assert catalog_signed["MaLoi"] == "01"  # checksum good; the reference is simply unknown
    assert default_signed["MaLoi"] == "97"


async def test_vnpost_webhooks_are_checked_with_the_vnpost_adapters_catalog_secret(
    gateway: httpx.AsyncClient,
) -> None:
    body, headers = webhook(WEBHOOK_SECRET)
    catalog_signed = await gateway.post("/callbacks/vnpost", content=body, headers=headers)
    body, headers = webhook(DEFAULT_WEBHOOK_SECRET)
    default_signed = await gateway.post("/callbacks/vnpost", content=body, headers=headers)
    assert catalog_signed.status_code == 404  # signature good; the order was not posted through the bus
    assert default_signed.status_code == 401
