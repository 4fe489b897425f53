"""VNPost's status-change webhook, verified and de-duplicated, turned into a bus event.

POST /callbacks/vnpost → "parcel.status_changed". The webhook must carry
X-VNPost-Signature: sha256=<HMAC-SHA256 of the raw body> (else 401), signed with the VNPost adapter's
own `webhook_secret` (its catalog section); then VNPost is answered 200 (taken, or a duplicate),
400 malformed, 404 order (or its item code) not posted through the bus, 503 event not published
(VNPost retries). A refused webhook publishes nothing and records nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, SecretStr

from adapters.vnpost.book import OrderBook
from adapters.vnpost.webhook import StatusChange, status_change_data
from bus.events import BusEvent, event_id_for
from bus.inbound import BodyTooLarge, EventNotPublished, InboundContext, MalformedBody, parse_body

log = logging.getLogger(__name__)

PARCEL_SOURCE = "VN/COM/VNPOST/BCCP/postOrder/v1"
SIGNATURE_HEADER = "x-vnpost-signature"


class WebhookReply(BaseModel):
    """The answer VNPost reads (only its HTTP status matters to it)."""

    Status: str
    Message: str


def signature_ok(body: bytes, given: str | None, secret: SecretStr) -> bool:
    """Constant-time check of `sha256=<HMAC-SHA256 of the raw body>`."""
    expected = "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())


def _reply(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(WebhookReply(Status=code, Message=message).model_dump(), status_code=status)


class StatusWebhooks:
    """Checks a webhook's signature and that the bus posted its order; publishes each change once."""

    def __init__(self, secret: SecretStr, inbound: InboundContext, *, known_orders_only: bool) -> None:
        self.secret = secret
        self.inbound = inbound
        self.known_orders_only = known_orders_only
        self.orders = OrderBook(inbound.store)

    async def receive(self, request: Request) -> JSONResponse:
        """Publish one status change once; a duplicate is taken without a second event."""
        try:
            body = await self.inbound.read_body(request)
        except BodyTooLarge as refused:
            return _reply(400, "01", refused.reason)
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self.secret):
            log.warning("VNPost webhook with a missing or wrong signature refused")
            return _reply(401, "97", "signature missing or wrong")
        try:
            change = parse_body(StatusChange, body)
        except MalformedBody as refused:
            return _reply(400, "01", refused.reason)
        if self.known_orders_only:
            recorded = await self.orders.item_code(change.CustomerCode, change.OrderNumber)
            if recorded is None or not hmac.compare_digest(recorded, change.ItemCode):
                log.warning("VNPost webhook for unknown order %s refused", change.OrderNumber)
                return _reply(404, "03", f"order {change.OrderNumber} was not posted through the bus")
        event = BusEvent(
            event_id=event_id_for(f"vnpost:{change.dedup_key}"),
            type="parcel.status_changed",
            source=PARCEL_SOURCE,
            trace=self.inbound.trace_of(request),
            data=json.loads(json.dumps(status_change_data(change))),
        )
        try:
            published = await self.inbound.publish_once(f"vnpost:{change.dedup_key}", event)
        except EventNotPublished as refused:
            return _reply(503, "99", refused.reason)
        return _reply(200, "00", "taken" if published else "duplicate: already taken")


def webhook_router(
    secret: SecretStr, inbound: InboundContext, *, known_orders_only: bool = True
) -> APIRouter:
    """`POST /vnpost` (under the gateway's /callbacks), checked against `secret`."""
    webhooks = StatusWebhooks(secret, inbound, known_orders_only=known_orders_only)
    router = APIRouter(tags=["callbacks"])

    @router.post("/vnpost", response_model=WebhookReply)
    async def vnpost_status_change(request: Request) -> JSONResponse:
        """VNPost's parcel status change."""
        return await webhooks.receive(request)

    return router
