"""The VNPost adapter: canonical JSON on the bus ⇄ VNPost's OAuth2-protected REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import Field, SecretStr

from adapters.sdk import (
    ClientCredentialsToken,
    Operation,
    ProviderAdapter,
    ProviderClient,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    parse_config,
)
from adapters.vnpost.book import DEFAULT_TTL_S, OrderBook
from adapters.vnpost.callbacks import webhook_router
from adapters.vnpost.models import (
    CancelOrderRequest,
    CancelOrderResponse,
    PostOrderRequest,
    PostOrderResponse,
    TrackingItem,
    TrackingRequest,
    TrackingResponse,
)
from adapters.vnpost.wire import PROVIDER, checked_body, order_answer, order_fields, tracking_page
from bus.envelope import Envelope
from bus.errors import BadResponse
from bus.inbound import InboundContext
from bus.store import Store

POST_ORDER = ServiceSpec(
    "postOrder", "v1", PostOrderRequest, PostOrderResponse, summary="Post a parcel order (idempotent)"
)
CANCEL_ORDER = ServiceSpec(
    "cancelOrder", "v1", CancelOrderRequest, CancelOrderResponse, summary="Cancel an order not yet out"
)
TRACKING = ServiceSpec(
    "getOrderTracking",
    "v1",
    TrackingRequest,
    TrackingResponse,
    summary="Latest status of the customer's orders, page by page (bounded)",
)
# The mock's default client, so that a bare catalog entry works against it.
DEFAULT_CLIENT_ID = "HPG_LGSP"
DEFAULT_CLIENT_SECRET = "hpg-lgsp-vnpost-client-secret"
DEFAULT_WEBHOOK_SECRET = "vnpost-webhook-demo-secret"


class VnpostConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8104"
    client_id: str = Field(DEFAULT_CLIENT_ID, min_length=1)
    client_secret: SecretStr = SecretStr(DEFAULT_CLIENT_SECRET)
    customer_code: str = Field("HPG_STP", min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")
    store_url: str | None = Field(
        None, description="where posted orders are recorded for the webhook (memory:// or redis://)"
    )
    book_ttl_s: float = Field(DEFAULT_TTL_S, gt=0)
    webhook_secret: SecretStr = Field(
        SecretStr(DEFAULT_WEBHOOK_SECRET), description="signs VNPost's status-change webhooks (HMAC-SHA256)"
    )
    webhook_known_orders_only: bool = Field(
        True, description="refuse webhooks for orders not posted through the bus"
    )


class VnpostAdapter(ProviderAdapter[VnpostConfig]):
    """Serves postOrder, cancelOrder and getOrderTracking with a cached client-credentials token."""

    services = ServiceTable([POST_ORDER, CANCEL_ORDER, TRACKING])
    provider = PROVIDER

    def __init__(
        self,
        config: VnpostConfig,
        *,
        store: Store | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, transport=transport)
        self.book = OrderBook.on(store, config.store_url, ttl_s=config.book_ttl_s)
        self.token: ClientCredentialsToken | None = None

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {
            POST_ORDER.key: self.post_order,
            CANCEL_ORDER.key: self.cancel_order,
            TRACKING.key: self.tracking,
        }

    def callback_router(self, inbound: InboundContext) -> APIRouter:
        """VNPost's status changes (`POST /callbacks/vnpost`), checked with this config's webhook secret."""
        return webhook_router(
            self.config.webhook_secret, inbound, known_orders_only=self.config.webhook_known_orders_only
        )

    async def open_resources(self, client: ProviderClient) -> None:
        """Connect the book's store; make the token cache on the new pool."""
        await self.book.connect()
        self.token = ClientCredentialsToken(
            client,
            "/oauth/token",
            self.config.client_id,
            self.config.client_secret.get_secret_value(),
            auth_method="basic",
        )

    async def close_resources(self) -> None:
        """Drop the token; close the book's store when the adapter made it."""
        self.token = None
        await self.book.close()

    async def post_order(self, request: Envelope, order: PostOrderRequest) -> PostOrderResponse:
        """Post the order (every attempt of the request gets the same item code) and record it for the
        webhook; without an order number in the payload, the envelope's request code is the number."""
        number = order.order_number or request.request_code
        order = order.model_copy(update={"order_number": number})
        customer = self.config.customer_code
        body = await self._call(request, "POST", "/api/v1/postOrder", json=order_fields(order, customer))
        answer = order_answer(body)
        if not answer.ItemCode:
            raise BadResponse(f"{PROVIDER} accepted order {number} without an ItemCode")
        await self.book.record(customer, number, answer.ItemCode)
        return PostOrderResponse(
            order_number=number, item_code=answer.ItemCode, provider_message=answer.Message
        )

    async def cancel_order(self, request: Envelope, command: CancelOrderRequest) -> CancelOrderResponse:
        """Cancel the order; VNPost refuses (ProviderRejected) an unknown or already moving one."""
        fields = {"CustomerCode": self.config.customer_code, "OrderNumber": command.order_number}
        answer = order_answer(await self._call(request, "POST", "/api/v1/cancelOrder", json=fields))
        return CancelOrderResponse(
            order_number=command.order_number,
            item_code=answer.ItemCode,
            cancelled=True,
            provider_message=answer.Message,
        )

    async def tracking(self, request: Envelope, query: TrackingRequest) -> TrackingResponse:
        """Follow the `lastId` cursor for at most `max_pages` pages; say whether the end was reached."""
        items: list[TrackingItem] = []
        cursor = query.after_id
        for _ in range(query.max_pages):
            params = {
                "CustomerCode": self.config.customer_code,
                "pagesize": str(query.page_size),
                "lastId": str(cursor),
            }
            page = tracking_page(await self._call(request, "GET", "/api/v1/getOrderTracking", params=params))
            entries = [entry.canonical() for entry in page.embedded]
            items.extend(entries)
            if len(entries) < query.page_size:
                return TrackingResponse(items=_only(items, query.order_number), complete=True)
            if entries[-1].id <= cursor:
                raise BadResponse(f"{PROVIDER} tracking cursor did not advance past lastId {cursor}")
            cursor = entries[-1].id
        return TrackingResponse(items=_only(items, query.order_number), complete=False, next_after_id=cursor)

    async def _call(self, request: Envelope, method: str, path: str, **kwargs: Any) -> object:
        await self.start()
        assert self.token is not None  # made with the pool
        response = await self.token.authorized_request(request, method, path, check_status=False, **kwargs)
        return checked_body(response)


def _only(items: list[TrackingItem], order_number: str | None) -> list[TrackingItem]:
    if order_number is None:
        return items
    return [item for item in items if item.order_number == order_number]


def create_adapter(config: Mapping[str, Any]) -> VnpostAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return VnpostAdapter(parse_config(VnpostConfig, config, adapter="vnpost"))
