"""The payment adapter: canonical JSON on the bus ⇄ PayGov's signed JSON (protocol 1.0.6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import Field, SecretStr

from adapters.payment.book import DEFAULT_TTL_S, InitiatedPayment, PaymentBook
from adapters.payment.callbacks import paygov_router
from adapters.payment.models import (
    InitiatePaymentRequest,
    InitiatePaymentResponse,
    PaymentStatusRequest,
    PaymentStatusResponse,
    RefundRequest,
    RefundResponse,
)
from adapters.payment.refund_wire import refund_answer, refund_message
from adapters.payment.wire import (
    PROVIDER,
    UNKNOWN_REFERENCE,
    error_code_of,
    init_answer,
    init_message,
    query_answer,
    query_message,
    refusal,
    timestamp,
)
from adapters.sdk import (
    Operation,
    ProviderAdapter,
    ProviderClient,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    json_body,
    parse_config,
    raise_for_status,
)
from bus.envelope import Envelope, utc_now
from bus.errors import BadRequest, BadResponse
from bus.inbound import InboundContext
from bus.store import Store

INITIATE = ServiceSpec(
    "KhoiTaoThanhToan",
    "v1",
    InitiatePaymentRequest,
    InitiatePaymentResponse,
    summary="Open a payment for a dossier's fees; answers the URL to send the payer to",
)
STATUS = ServiceSpec(
    "TraCuuGiaoDich",
    "v1",
    PaymentStatusRequest,
    PaymentStatusResponse,
    summary="The state of a payment (success, pending, failed, or not_found), checksum verified",
)
REFUND = ServiceSpec(
    "HoanTien",
    "v1",
    RefundRequest,
    RefundResponse,
    summary="Refund a dossier's fee and cancel its e-receipt (refused or withdrawn dossiers); once",
)
# The mock platform's default partner and secret, so that a bare catalog entry works against it.
DEFAULT_PARTNER = "HPG_LGSP"
DEFAULT_SECRET = "hpg-lgsp-paygov-shared-secret"


class PaymentConfig(ProviderConfig):
    """The adapter's section of the catalog."""

    base_url: ProviderUrl = "http://127.0.0.1:8103"
    partner_code: str = Field(DEFAULT_PARTNER, min_length=1, max_length=255, description="MaDoiTac")
    secret: SecretStr = Field(
        SecretStr(DEFAULT_SECRET),
        description="the partner's shared secret: signs calls and checks the platform's confirmations",
    )
    store_url: str | None = Field(
        None, description="where initiated payments are recorded for the callbacks (memory:// or redis://)"
    )
    book_ttl_s: float = Field(DEFAULT_TTL_S, gt=0)


class PaymentAdapter(ProviderAdapter[PaymentConfig]):
    """Serves KhoiTaoThanhToan, TraCuuGiaoDich and HoanTien over PayGov; records what it initiates in a
    `Store`."""

    services = ServiceTable([INITIATE, STATUS, REFUND])
    provider = PROVIDER

    def __init__(
        self,
        config: PaymentConfig,
        *,
        store: Store | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, transport=transport)
        self.book = PaymentBook.on(store, config.store_url, ttl_s=config.book_ttl_s)

    def operations(self) -> Mapping[str, Operation]:
        """Each service's operation."""
        return {INITIATE.key: self.initiate, STATUS.key: self.status, REFUND.key: self.refund}

    def callback_router(self, inbound: InboundContext) -> APIRouter:
        """PayGov's confirmations (`POST /callbacks/paygov/{partner}`), checked with this partner's secret."""
        return paygov_router({self.config.partner_code: self.config.secret}, inbound)

    async def open_resources(self, client: ProviderClient) -> None:
        """Connect the book's store."""
        await self.book.connect()

    async def close_resources(self) -> None:
        """Close the book's store when the adapter made it."""
        await self.book.close()

    async def initiate(self, request: Envelope, payment: InitiatePaymentRequest) -> InitiatePaymentResponse:
        """Open the payment at the platform, then record it for the confirmation callback.

        Without a reference in the payload, the envelope's request code is the reference, so every
        attempt of the request opens the same payment."""
        reference = payment.reference or request.request_code
        payment = payment.model_copy(update={"reference": reference})
        secret = self.config.secret.get_secret_value()
        message = init_message(payment, self.config.partner_code, secret, timestamp())
        url = init_answer(await self._call(request, "/api/v1/init", message))
        await self.book.record(
            InitiatedPayment(
                partner_code=self.config.partner_code,
                reference=reference,
                amount_vnd=payment.amount_vnd,
                description=payment.description,
                dossier_number=payment.dossier.dossier_number,
                initiated_at=utc_now(),
            )
        )
        return InitiatePaymentResponse(payment_url=url, reference=reference)

    async def status(self, request: Envelope, query: PaymentStatusRequest) -> PaymentStatusResponse:
        """Ask the platform; an unknown reference is a clean `not_found`, not an error."""
        amount = await self._amount(query.reference, query.amount_vnd)
        secret = self.config.secret.get_secret_value()
        message = query_message(query.reference, amount, self.config.partner_code, secret, timestamp())
        body = await self._call(request, "/api/v1/query", message, not_found_ok=True)
        if error_code_of(body) == UNKNOWN_REFERENCE:
            return PaymentStatusResponse(reference=query.reference, status="not_found")
        return query_answer(body, self.config.partner_code, query.reference, secret)

    async def refund(self, request: Envelope, command: RefundRequest) -> RefundResponse:
        """Refund the payment (cancelling its e-receipt if asked); the platform answers a repeat the same."""
        amount = await self._amount(command.reference, command.amount_vnd)
        secret = self.config.secret.get_secret_value()
        message = refund_message(command, amount, self.config.partner_code, secret, timestamp())
        body = await self._call(request, "/api/v1/refund", message)
        return refund_answer(body, self.config.partner_code, command.reference, secret)

    async def _amount(self, reference: str, given: int | None) -> int:
        """The amount given, else the one recorded when the payment was initiated through this bus."""
        if given is not None:
            return given
        known = await self.book.find(self.config.partner_code, reference)
        if known is None:
            raise BadRequest("field 'amount_vnd': required, the reference was not initiated through this bus")
        return known.amount_vnd

    async def _call(
        self, request: Envelope, path: str, message: dict[str, Any], *, not_found_ok: bool = False
    ) -> object:
        """POST a signed message; the platform's refusals become taxonomy errors, other failures by status."""
        client = await self.client()
        response = await client.request(request, "POST", path, json=message, check_status=False)
        try:
            body = json_body(response, PROVIDER)
        except BadResponse:
            raise_for_status(response, PROVIDER)  # a proxy's 5xx page is Unavailable/Error, not garbage
            raise
        code = error_code_of(body)
        if code is None or code == "0":
            raise_for_status(response, PROVIDER)
            return body
        if code == UNKNOWN_REFERENCE and not_found_ok:
            return body
        assert isinstance(body, Mapping)
        raise refusal(code, body)


def create_adapter(config: Mapping[str, Any]) -> PaymentAdapter:
    """The `lgsp.adapters` factory; a bad config raises ValueError saying which key is wrong."""
    return PaymentAdapter(parse_config(PaymentConfig, config, adapter="payment"))
