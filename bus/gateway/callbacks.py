"""Inbound provider callbacks, verified and de-duplicated, turned into bus events.

POST /callbacks/paygov/{partner}   PayGov's confirmation (IPN) → "payment.confirmed" / "payment.failed"
POST /callbacks/vnpost             VNPost's status-change webhook → "parcel.status_changed"

PayGov is answered `{MaLoi, MoTaLoi}` with HTTP 200, as its protocol wants (VNPay-style codes):
    00 taken            01 unknown reference      02 already confirmed (replay: no second event)
    04 amount/currency differs from the initiated one     97 bad checksum or unknown partner
    99 anything else: malformed, or the event could not be published (PayGov delivers again)
VNPost webhooks must carry X-VNPost-Signature: sha256=<HMAC-SHA256 of the raw body> (else 401); then
VNPost is answered 200 (taken, or a duplicate), 400 malformed, 404 order (or its item code) not posted
through the bus, 503 event not published (VNPost retries).
A rejected callback publishes nothing and records nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from adapters.payment.adapter import DEFAULT_PARTNER, DEFAULT_SECRET
from adapters.payment.book import PaymentBook
from adapters.payment.confirmation import Confirmation, confirmation_data, verify_confirmation
from adapters.vnpost.book import OrderBook
from adapters.vnpost.webhook import StatusChange, status_change_data
from bus.envelope import TraceContext
from bus.errors import BusError
from bus.events import BusEvent, EventPublisher, event_id_for
from bus.store.base import Store

log = logging.getLogger(__name__)

PAYMENT_SOURCE = "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"
PARCEL_SOURCE = "VN/COM/VNPOST/BCCP/postOrder/v1"
DEDUP_PREFIX = "callbacks:seen:"
M = TypeVar("M", bound=BaseModel)
PartnerCode = Annotated[str, Path(max_length=255, description="MaDoiTac")]


DEFAULT_VNPOST_WEBHOOK_SECRET = "vnpost-webhook-demo-secret"  # the VNPost mock's default
VNPOST_SIGNATURE_HEADER = "x-vnpost-signature"


def _webhook_signature_ok(body: bytes, given: str | None, secret: SecretStr) -> bool:
    """Constant-time check of `sha256=<HMAC-SHA256 of the raw body>`."""
    expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())


def _default_partners() -> dict[str, SecretStr]:
    return {DEFAULT_PARTNER: SecretStr(DEFAULT_SECRET)}


class CallbackConfig(BaseModel):
    """What the callbacks router trusts: PayGov partners' secrets, limits, how long replays are remembered."""

    model_config = ConfigDict(extra="forbid")

    paygov_partners: dict[str, SecretStr] = Field(default_factory=_default_partners)
    vnpost_webhook_secret: SecretStr = SecretStr(DEFAULT_VNPOST_WEBHOOK_SECRET)
    vnpost_known_orders_only: bool = Field(
        True, description="refuse webhooks for orders not posted through the bus"
    )
    dedup_ttl_s: float = Field(90 * 24 * 3600.0, gt=0)
    max_body_bytes: int = Field(16 * 1024, ge=256)


class IpnReply(BaseModel):
    """The answer PayGov reads: MaLoi "00" means taken."""

    MaLoi: str
    MoTaLoi: str


class WebhookReply(BaseModel):
    """The answer VNPost reads (only its HTTP status matters to it)."""

    Status: str
    Message: str


class _Rejected(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def _body(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _Rejected("99", f"body larger than {limit} bytes")
    return bytes(body)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors()[:5])
        raise _Rejected("99", f"malformed message ({fields})") from None


def _trace(request: Request) -> TraceContext:
    return TraceContext.from_header(request.headers.get("traceparent"), request.headers.get("tracestate"))


class CallbackHandlers:
    """Verifies callbacks, claims them once in the store, publishes their events."""

    def __init__(self, publisher: EventPublisher, config: CallbackConfig, store: Store) -> None:
        self.publisher = publisher
        self.config = config
        self.store = store
        self.payments = PaymentBook(store)
        self.orders = OrderBook(store)

    async def paygov(self, partner: str, request: Request) -> IpnReply:
        """Verify one IPN and publish its event once; every refusal says why."""
        try:
            confirmation = _parse(Confirmation, await _body(request, self.config.max_body_bytes))
            event = await self._payment_event(partner, confirmation, _trace(request))
            await self._publish_once(f"paygov:{partner}:{confirmation.MaThamChieu}", event)
        except _Rejected as refused:
            log.warning("PayGov callback for %s refused (%s): %s", partner, refused.code, refused.reason)
            return IpnReply(MaLoi=refused.code, MoTaLoi=refused.reason)
        return IpnReply(MaLoi="00", MoTaLoi="Thành công")

    async def _payment_event(self, partner: str, ipn: Confirmation, trace: TraceContext) -> BusEvent:
        secret = self.config.paygov_partners.get(partner)
        if secret is None or ipn.MaDoiTac != partner:
            raise _Rejected("97", f"unknown partner {partner!r} or MaDoiTac {ipn.MaDoiTac!r} differs")
        if not verify_confirmation(ipn, secret.get_secret_value()):
            raise _Rejected("97", "bad checksum (MaXacThuc)")
        if ipn.LoaiBanTin != "IPN":
            raise _Rejected("99", f"LoaiBanTin {ipn.LoaiBanTin!r} is not IPN")
        payment = await self.payments.find(partner, ipn.MaThamChieu)
        if payment is None:
            raise _Rejected("01", f"unknown reference (MaThamChieu) {ipn.MaThamChieu!r}")
        if ipn.SoTien != payment.amount_vnd or ipn.MaTienTe != "VND":
            raise _Rejected("04", f"SoTien {ipn.SoTien} {ipn.MaTienTe} is not the initiated amount")
        return BusEvent(
            event_id=event_id_for(f"paygov:{partner}:{ipn.MaThamChieu}"),
            type="payment.confirmed" if ipn.paid else "payment.failed",
            source=PAYMENT_SOURCE,
            trace=trace,
            data=json.loads(json.dumps(confirmation_data(ipn, payment))),
        )

    async def vnpost(self, request: Request) -> JSONResponse:
        """Publish one status change once; a duplicate is taken without a second event."""
        try:
            body = await _body(request, self.config.max_body_bytes)
        except _Rejected as refused:
            return _webhook_reply(400, "01", refused.reason)
        if not _webhook_signature_ok(
            body, request.headers.get(VNPOST_SIGNATURE_HEADER), self.config.vnpost_webhook_secret
        ):
            log.warning("VNPost webhook with a missing or wrong signature refused")
            return _webhook_reply(401, "97", "signature missing or wrong")
        try:
            change = _parse(StatusChange, body)
        except _Rejected as refused:
            return _webhook_reply(400, "01", refused.reason)
        if self.config.vnpost_known_orders_only:
            recorded = await self.orders.item_code(change.CustomerCode, change.OrderNumber)
            if recorded is None or not hmac.compare_digest(recorded, change.ItemCode):
                log.warning("VNPost webhook for unknown order %s refused", change.OrderNumber)
                return _webhook_reply(404, "03", f"order {change.OrderNumber} was not posted through the bus")
        event = BusEvent(
            event_id=event_id_for(f"vnpost:{change.dedup_key}"),
            type="parcel.status_changed",
            source=PARCEL_SOURCE,
            trace=_trace(request),
            data=json.loads(json.dumps(status_change_data(change))),
        )
        try:
            await self._publish_once(f"vnpost:{change.dedup_key}", event)
        except _Rejected as refused:
            if refused.code == "02":
                return _webhook_reply(200, "00", "duplicate: already taken")
            return _webhook_reply(503, "99", refused.reason)
        return _webhook_reply(200, "00", "taken")

    async def _publish_once(self, key: str, event: BusEvent) -> None:
        """Claim `key`, then publish; a failed publish gives the claim back so a retry can succeed."""
        claim = DEDUP_PREFIX + key
        if not await self.store.set_if_absent(claim, event.event_id.encode(), ttl=self.config.dedup_ttl_s):
            raise _Rejected("02", "already confirmed: replay ignored")
        try:
            await self.publisher.publish(event)
        except BusError as exc:
            await self.store.delete(claim)
            log.error("event %s of %s not published: %s", event.type, key, exc.message)
            raise _Rejected("99", "event could not be published; deliver again later") from exc


def _webhook_reply(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(WebhookReply(Status=code, Message=message).model_dump(), status_code=status)


def callbacks_router(publisher: EventPublisher, config: CallbackConfig, store: Store) -> APIRouter:
    """The `/callbacks` routes; `store` must be the one the payment and VNPost adapters record into."""
    handlers = CallbackHandlers(publisher, config, store)
    router = APIRouter(prefix="/callbacks", tags=["callbacks"])

    @router.post("/paygov/{partner}", response_model=IpnReply)
    async def paygov_confirmation(partner: PartnerCode, request: Request) -> IpnReply:
        """PayGov's payment confirmation (IPN), signed with the partner's shared secret."""
        return await handlers.paygov(partner, request)

    @router.post("/vnpost", response_model=WebhookReply)
    async def vnpost_status_change(request: Request) -> JSONResponse:
        """VNPost's parcel status change."""
        return await handlers.vnpost(request)

    return router
