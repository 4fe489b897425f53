"""Generic plumbing for inbound provider callbacks: what the gateway hands an adapter's callback router.

An adapter that `ReceivesCallbacks` (bus.adapter) builds its routes against an `InboundContext`:

    body = await inbound.read_body(request)            # BodyTooLarge past settings.max_body_bytes
    message = parse_body(MyMessage, body)              # MalformedBody naming the faulty fields
    ...check the provider's signature with a secret from the adapter's own config...
    event = BusEvent(event_id=event_id_for(key), type=..., source=..., data=...,
                     trace=inbound.trace_of(request))
    if not await inbound.publish_once(key, event):     # EventNotPublished when the transport refused it
        ...a replay: answer the provider "already taken"...

`inbound.store` is the bus's shared store (the one `${bus.store_url}` names in an adapter's catalog
section), where an adapter finds what it recorded when it made the call the provider now answers.
Every refusal is an `InboundRefused` carrying a reason fit for the provider's reply and the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import Request

from bus.envelope import TraceContext
from bus.errors import BusError
from bus.events import BusEvent, EventPublisher
from bus.store.base import Store

log = logging.getLogger(__name__)

DEDUP_PREFIX = "callbacks:seen:"
M = TypeVar("M", bound=BaseModel)


class InboundSettings(BaseSettings):
    """Limits of the callback plumbing (`LGSP_INBOUND_*`)."""

    model_config = SettingsConfigDict(env_prefix="LGSP_INBOUND_", extra="ignore")

    max_body_bytes: int = Field(16 * 1024, ge=256, description="largest callback body read")
    dedup_ttl_s: float = Field(
        90 * 24 * 3600.0, gt=0, description="how long a taken callback's key refuses a replay"
    )


class InboundRefused(Exception):
    """A callback the plumbing refused; `reason` says why, for the provider's reply and the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BodyTooLarge(InboundRefused):
    """The body exceeded `InboundSettings.max_body_bytes` (reading stopped there)."""


class MalformedBody(InboundRefused):
    """The body is not the message the provider's protocol describes."""


class EventNotPublished(InboundRefused):
    """The transport refused the event; its claim was given back, so the provider's retry can succeed."""


def parse_body(model: type[M], body: bytes) -> M:
    """`body` (JSON) as `model`; MalformedBody naming up to five faulty fields (never their values)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors()[:5])
        raise MalformedBody(f"malformed message ({fields})") from None


@dataclass(frozen=True)
class InboundContext:
    """The gateway's callback plumbing, bound to one adapter (`namespace`, its name in the catalog)."""

    publisher: EventPublisher
    store: Store
    settings: InboundSettings
    namespace: str = ""

    def for_adapter(self, name: str) -> InboundContext:
        """This context with de-duplication keys kept apart under the adapter's name."""
        return replace(self, namespace=name)

    async def read_body(self, request: Request) -> bytes:
        """The raw body (signatures are over these bytes); BodyTooLarge past the limit."""
        limit = self.settings.max_body_bytes
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise BodyTooLarge(f"body larger than {limit} bytes")
        return bytes(body)

    @staticmethod
    def trace_of(request: Request) -> TraceContext:
        """The caller's W3C trace context (`traceparent`, `tracestate`), or a new trace."""
        return TraceContext.from_header(request.headers.get("traceparent"), request.headers.get("tracestate"))

    async def publish_once(self, key: str, event: BusEvent) -> bool:
        """Claim `key` in the store, then publish `event`: False (nothing published) when the key was
        already taken; EventNotPublished, the claim given back, when the transport refuses the event."""
        claim = f"{DEDUP_PREFIX}{self.namespace}:{key}"
        if not await self.store.set_if_absent(claim, event.event_id.encode(), ttl=self.settings.dedup_ttl_s):
            return False
        try:
            await self.publisher.publish(event)
        except BusError as exc:
            await self.store.delete(claim)
            log.error("event %s of %s not published: %s", event.type, claim, exc.message)
            raise EventNotPublished("event could not be published; deliver again later") from exc
        return True
