"""The payment platform mock (PayGov-like, protocol 1.0.6): initiate, pay, confirm by callback, query.

POST /api/v1/init                    initiate → {error_code:"0", message:{UrlThanhToan}}
GET  /pay/{token}, POST /pay/{token} the simulated payer's page (form field outcome=success|fail|abandon)
POST /api/v1/query                   → {error_code:"0", message:{..., TrangThaiGD 1|3|4|5 refunded}}
POST /api/v1/refund                  refund a fee, cancel its e-receipt → {message:{TrangThaiHoan 1|2|3}}
POST /_control/payments/complete     {MaDoiTac, MaThamChieu, outcome}: pay without the page
GET  /_control/effects               what the platform has done; /_control/faults for faults
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from services.clock import VIETNAM_TIME
from services.faults import FaultProfile, install_faults
from services.payment.checksum import INIT_FIELDS, QUERY_FIELDS, QUERY_RESULT_FIELDS, compute_checksum
from services.payment.checksum import verify_checksum as checksum_matches
from services.payment.codes import PaymentCode, PaymentError
from services.payment.confirmations import ConfirmationSender
from services.payment.ledger import Effects, Ledger, Payment, PaymentState
from services.payment.models import (
    CompleteCommand,
    InitAnswer,
    InitRequest,
    InitResult,
    Outcome,
    QueryAnswer,
    QueryRequest,
    QueryResult,
)
from services.payment.payer_page import error_page, payment_page, result_page
from services.payment.refunds import REFUND_FIELDS, RefundAnswer, RefundRequest, refund, refund_answer
from services.payment.settings import PaymentSettings
from services.request_body import Message, read_body
from services.telemetry import NO_TELEMETRY

MAX_BODY_BYTES = 64 * 1024


async def _read(request: Request, model: type[Message]) -> Message:
    return await read_body(
        request, model, max_bytes=MAX_BODY_BYTES, refuse=partial(PaymentError, PaymentCode.MALFORMED)
    )


class PaymentPlatform:
    """The platform's state behind the routes: settings, ledger, effects and the confirmation sender."""

    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.effects = Effects()
        self.ledger = Ledger(self.rng, settings.stay_pending_rate, self.effects)
        self.confirmations: ConfirmationSender | None = None

    def secret_of(self, partner: str) -> str:
        """The partner's shared secret, or UNKNOWN_PARTNER."""
        config = self.settings.partners.get(partner)
        if config is None:
            raise PaymentError(PaymentCode.UNKNOWN_PARTNER, partner)
        return config.secret

    def verify(self, fields: tuple[str, ...], message: BaseModel, partner: str, given: str) -> None:
        """Raise BAD_CHECKSUM unless `given` signs `message` with the partner's secret."""
        if not checksum_matches(fields, message.model_dump(), self.secret_of(partner), given):
            raise PaymentError(PaymentCode.BAD_CHECKSUM)

    def initiate(self, request: InitRequest) -> InitAnswer:
        """Check and record an initiate; a repeated identical one gets the same payment URL."""
        self.verify(INIT_FIELDS, request, request.MaDoiTac, request.MaXacThuc)
        fee_total = sum(fee.SoTien for fee in request.ThongTinBienLai.PhiLePhi)
        if fee_total != request.SoTien:
            raise PaymentError(
                PaymentCode.WRONG_AMOUNT, f"SoTien {request.SoTien} ≠ sum of PhiLePhi {fee_total}"
            )
        payment = self.ledger.initiate(request)
        url = f"{str(self.settings.public_url).rstrip('/')}/pay/{payment.token}"
        return InitAnswer(message=InitResult(UrlThanhToan=url))

    def query(self, request: QueryRequest) -> QueryAnswer:
        """The signed state of one payment."""
        self.verify(QUERY_FIELDS, request, request.MaDoiTac, request.MaXacThuc)
        payment = self.ledger.find(request.MaDoiTac, request.MaThamChieu)
        if payment.request.SoTien != request.SoTien:
            raise PaymentError(
                PaymentCode.WRONG_AMOUNT, f"MaThamChieu {request.MaThamChieu} has another SoTien"
            )
        return self.status_of(payment)

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Refund a payment (once) and cancel its e-receipt if asked; see services.payment.refunds."""
        self.verify(REFUND_FIELDS, request, request.MaDoiTac, request.MaXacThuc)
        payment = self.ledger.find(request.MaDoiTac, request.MaThamChieu)
        made = refund(payment, request, datetime.now(VIETNAM_TIME), self.rng, self.effects)
        return refund_answer(payment, made, self.secret_of(payment.partner))

    def status_of(self, payment: Payment) -> QueryAnswer:
        """The query answer for `payment`, signed with its partner's secret."""
        fields: dict[str, object] = {
            "MaDoiTac": payment.partner,
            "MaThamChieu": payment.reference,
            "SoTien": payment.request.SoTien,
            "MaTienTe": payment.request.MaTienTe,
            "TrangThaiGD": int(payment.state.trang_thai_gd),
            "MaGiaoDich": payment.transaction_id,
            "MaNganHang": payment.bank_code,
            "ThoiGianGD": payment.completed_at,
            "ThongTinGiaoDich": payment.request.ThongTinGiaoDich,
        }
        signature = compute_checksum(QUERY_RESULT_FIELDS, fields, self.secret_of(payment.partner))
        return QueryAnswer(message=QueryResult.model_validate({**fields, "MaXacThuc": signature}))

    def complete(self, payment: Payment, outcome: Outcome) -> Payment:
        """End a payment as the payer chose; a success schedules its confirmation."""
        self.ledger.complete(payment, outcome, datetime.now(VIETNAM_TIME))
        if payment.state is PaymentState.SUCCEEDED and self.confirmations is not None:
            self.confirmations.schedule(payment)
        return payment


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    """Build the payment platform mock; confirmations run only while the app's lifespan is active."""
    settings = settings or PaymentSettings()
    platform = PaymentPlatform(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            platform.confirmations = ConfirmationSender(
                client, settings, platform.effects, faults.should_lose_callback, random.Random(settings.seed)
            )
            try:
                yield
            finally:
                await platform.confirmations.aclose()
                platform.confirmations = None

    app = FastAPI(
        title="Payment platform mock (PayGov-like, protocol 1.0.6)", lifespan=lifespan, telemetry=NO_TELEMETRY
    )
    app.state.platform = platform

    @app.exception_handler(PaymentError)
    async def refuse(request: Request, exc: PaymentError) -> JSONResponse:
        return JSONResponse(exc.answer().model_dump(mode="json"), status_code=exc.status)

    @app.post("/api/v1/init", response_model=InitAnswer)
    async def initiate(request: Request) -> InitAnswer:
        """Initiate a payment (LoaiBanTin INIT, MaXacThuc over INIT_FIELDS)."""
        return platform.initiate(await _read(request, InitRequest))

    @app.post("/api/v1/query", response_model=QueryAnswer)
    async def query(request: Request) -> QueryAnswer:
        """Status of a payment (LoaiBanTin QUERY, MaXacThuc over QUERY_FIELDS): TrangThaiGD 1, 3 or 4."""
        return platform.query(await _read(request, QueryRequest))

    @app.post("/api/v1/refund", response_model=RefundAnswer)
    async def refund_payment(request: Request) -> RefundAnswer:
        """Refund a payment, cancelling its e-receipt (LoaiBanTin REFUND, MaXacThuc over REFUND_FIELDS)."""
        return platform.refund(await _read(request, RefundRequest))

    @app.get("/pay/{token}", response_class=HTMLResponse)
    async def show_payment_page(token: str) -> HTMLResponse:
        """The page behind UrlThanhToan."""
        try:
            return HTMLResponse(payment_page(platform.ledger.find_by_token(token)))
        except PaymentError as exc:
            return HTMLResponse(error_page(exc.answer().message), status_code=exc.status)

    @app.post("/pay/{token}", response_class=HTMLResponse)
    async def pay(token: str, request: Request) -> HTMLResponse:
        """The payer's choice, form-encoded: outcome=success|fail|abandon."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            outcome = Outcome(form.get("outcome", ""))
        except ValueError:
            return HTMLResponse(error_page("outcome must be success, fail or abandon"), status_code=400)
        try:
            payment = platform.complete(platform.ledger.find_by_token(token), outcome)
        except PaymentError as exc:
            return HTMLResponse(error_page(exc.answer().message), status_code=exc.status)
        return HTMLResponse(result_page(payment))

    @app.post("/_control/payments/complete", response_model=QueryAnswer)
    async def complete(request: Request) -> QueryAnswer:
        """Pay (or fail, or abandon) a payment without the page; answers its new status."""
        command = await _read(request, CompleteCommand)
        payment = platform.complete(
            platform.ledger.find(command.MaDoiTac, command.MaThamChieu), command.outcome
        )
        return platform.status_of(payment)

    @app.get("/_control/effects", response_model=Effects)
    async def effects() -> Effects:
        """Counters of what the platform has done since it started."""
        return platform.effects

    # Last, so that a call is matched against the app's own routes before the control routes.
    faults = install_faults(
        app,
        "payment",
        FaultProfile(latency=settings.latency, lost_callback_rate=settings.lost_callback_rate),
    )
    return app
