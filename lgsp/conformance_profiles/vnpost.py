"""The VNPost adapter's conformance profile: the VNPost mock (no latency, no failed attempts or returns,
no webhooks) knowing only the kit's client, an order that may be resent, a cancellation, tracking, and an
order with every text at its longest.

The mock's tokens are random; here it issues tokens drawn when the profile is made, so the kit can look
for every one of them, with the client secret, in the run's log lines.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr
from starlette.types import ASGIApp

from adapters.conformance.profile import ConformanceProfile, Sample
from services.faults import Latency
from services.registry import without_latency
from services.vnpost import create_app
from services.vnpost.oauth import TokenIssuer
from services.vnpost.settings import VnpostSettings

SERVICE_PREFIX = "VN/COM/VNPOST/BCCP"
CONFORMANCE_CLIENT = "HPG_LGSP_KIT"
CONFORMANCE_SECRET = "vnpost-conformance-secret-93a0c7"
CUSTOMER_CODE = "HPG_STP_KIT"
SEED = 2024
# More than a run fetches (one token, a second after a refused one): each is named as a secret.
PRESET_TOKENS = 8


class PresetTokenIssuer(TokenIssuer):
    """The mock's issuer, handing out tokens drawn in advance (in turn) instead of fresh random ones."""

    def __init__(self, tokens: Iterable[str], clients: Mapping[str, str | SecretStr], ttl_s: float) -> None:
        super().__init__(clients, ttl_s)
        self._preset = itertools.cycle(tuple(tokens))

    def issue(self, form_body: bytes, authorization: str | None) -> str:
        """Check the request as the mock does, then register and answer the next preset token."""
        drawn = super().issue(form_body, authorization)
        token = next(self._preset)
        self._tokens[token] = self._tokens.pop(drawn)
        return token


def _provider(settings: VnpostSettings, tokens: tuple[str, ...]) -> ASGIApp:
    app = create_app(settings)
    without_latency(app)
    app.state.vnpost.tokens = PresetTokenIssuer(tokens, settings.clients, settings.token_ttl_s)
    return app


def order(number: str, *, description: str = "Trả kết quả: giấy khai sinh bản chính") -> dict[str, Any]:
    """A result posted from Hải Phòng's Department of Justice to a citizen in Ngô Quyền."""
    return {
        "order_number": number,
        "sender": {
            "name": "Sở Tư pháp thành phố Hải Phòng",
            "phone": "02253842556",
            "address": "Số 5 Hoàng Diệu, phường Minh Khai, quận Hồng Bàng",
            "province_code": "31",
            "district_code": "303",
        },
        "receiver": {
            "name": "Nguyễn Thị Hồng Nhung",
            "phone": "0912345678",
            "address": "Số 12 đường Lạch Tray, phường Lạch Tray, quận Ngô Quyền",
            "province_code": "31",
            "district_code": "304",
        },
        "cod_amount_vnd": 0,
        "description": description,
    }


def large_order(number: str) -> dict[str, Any]:
    """An order with names and addresses at 255 characters and the description at 500."""
    text = "Bộ phận một cửa phường Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng gửi trả kết quả. " * 8
    payload = order(number, description=text[:500].strip())
    for role in ("sender", "receiver"):
        payload[role] |= {"name": text[:255].strip(), "address": text[:255].strip()}
    return payload


def samples() -> tuple[Sample, ...]:
    """An order first (resent, it is the same order), a second one cancelled, then the first's tracking."""
    posted, cancelled = "KIT-HS-031-0001", "KIT-HS-031-0002"
    return (
        Sample(service=f"{SERVICE_PREFIX}/postOrder/v1", payload=order(posted)),
        Sample(service=f"{SERVICE_PREFIX}/postOrder/v1", payload=order(cancelled)),
        Sample(service=f"{SERVICE_PREFIX}/cancelOrder/v1", payload={"order_number": cancelled}),
        Sample(
            service=f"{SERVICE_PREFIX}/getOrderTracking/v1",
            payload={"order_number": posted, "page_size": 10, "max_pages": 2},
        ),
    )


def conformance_profile() -> ConformanceProfile:
    """The VNPost mock for the kit's client; its secret and every token it will issue are secrets."""
    settings = VnpostSettings(
        clients={CONFORMANCE_CLIENT: CONFORMANCE_SECRET},
        failed_attempt_rate=0.0,
        return_rate=0.0,
        latency=Latency(),
        webhook_url=None,
        seed=SEED,
    )
    tokens = tuple(secrets.token_urlsafe(32) for _ in range(PRESET_TOKENS))
    return ConformanceProfile(
        provider=lambda: _provider(settings, tokens),
        config={
            "timeout_cap": 10.0,
            "client_id": CONFORMANCE_CLIENT,
            "client_secret": CONFORMANCE_SECRET,
            "customer_code": CUSTOMER_CODE,
        },
        samples=samples(),
        large_sample=Sample(service=f"{SERVICE_PREFIX}/postOrder/v1", payload=large_order("KIT-HS-031-9001")),
        secrets=(CONFORMANCE_SECRET, *tokens),
    )
