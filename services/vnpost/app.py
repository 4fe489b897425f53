"""The VNPost mock: OAuth2 client credentials, postOrder, cancelOrder, getOrderTracking, on a simulated clock.

POST /oauth/token                    grant_type=client_credentials (form or Basic) → {access_token, ...}
POST /api/v1/postOrder               Bearer; PostOrderRequest → {Status, Message, ItemCode}
POST /api/v1/cancelOrder             Bearer; {CustomerCode, OrderNumber}
GET  /api/v1/getOrderTracking        Bearer; ?CustomerCode=&pagesize=&lastId= → {_embedded, _returned, ...}
GET|POST /_control/clock             {speed};  POST /_control/clock/advance {hours}
POST /_control/clock/jump            {now}: follow another simulated clock (the bus's); never back (409)
GET  /_control/effects               what the mock has done; /_control/faults for faults
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated

import httpx
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.casework.control import ClockJump
from services.clock import SimulatedClock
from services.faults import FaultProfile, install_faults
from services.request_body import Message, describe_problems, read_body
from services.telemetry import NO_TELEMETRY
from services.vnpost.codes import VnpostCode, VnpostError
from services.vnpost.models import (
    CancelOrderRequest,
    ClockAdvance,
    ClockSpeed,
    ClockState,
    Effects,
    OrderAnswer,
    PostOrderRequest,
    TokenAnswer,
    TrackingPage,
    TrackingQuery,
)
from services.vnpost.oauth import OAuthError, TokenIssuer
from services.vnpost.orders import OrderBook
from services.vnpost.settings import VnpostSettings
from services.vnpost.webhooks import WebhookNotifier

MAX_BODY_BYTES = 64 * 1024

Authorization = Annotated[str | None, Header()]


async def _read(request: Request, model: type[Message]) -> Message:
    return await read_body(
        request, model, max_bytes=MAX_BODY_BYTES, refuse=partial(VnpostError, VnpostCode.INVALID)
    )


class VnpostService:
    """The mock's state behind the routes."""

    def __init__(self, settings: VnpostSettings) -> None:
        self.settings = settings
        self.clock = SimulatedClock(settings.clock_speed)
        self.tokens = TokenIssuer(settings.clients, settings.token_ttl_s)
        self.orders = OrderBook(settings.seed, settings.failed_attempt_rate, settings.return_rate)
        self.effects = Effects()
        self.webhooks: WebhookNotifier | None = None

    def clock_state(self) -> ClockState:
        """The clock as the control API shows it."""
        return ClockState(now=self.clock.now_datetime().isoformat(timespec="seconds"), speed=self.clock.speed)


def create_app(settings: VnpostSettings | None = None) -> FastAPI:
    """Build the VNPost mock; webhooks (when configured) run only while the app's lifespan is active."""
    settings = settings or VnpostSettings()
    service = VnpostService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.webhook_url is None:
            yield
            return
        async with httpx.AsyncClient() as client:
            notifier = WebhookNotifier(
                str(settings.webhook_url), client, service.clock, settings, service.effects
            )
            service.webhooks = notifier
            notifier.start()
            try:
                yield
            finally:
                await notifier.aclose()
                service.webhooks = None

    app = FastAPI(title="VNPost mock (OAuth2, orders, tracking)", lifespan=lifespan, telemetry=NO_TELEMETRY)
    app.state.vnpost = service

    @app.exception_handler(VnpostError)
    async def refuse(request: Request, exc: VnpostError) -> JSONResponse:
        return JSONResponse(exc.answer().model_dump(mode="json"), status_code=exc.status)

    @app.exception_handler(OAuthError)
    async def unauthorized(request: Request, exc: OAuthError) -> JSONResponse:
        if exc.status == 401 and request.url.path == "/oauth/token":
            service.effects.tokens_refused += 1
        headers = {"WWW-Authenticate": exc.www_authenticate} if exc.www_authenticate else None
        body = {"error": exc.error, "error_description": exc.description}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.post("/oauth/token", response_model=TokenAnswer)
    async def token(request: Request, authorization: Authorization = None) -> JSONResponse:
        """OAuth2 client-credentials grant (form-encoded)."""
        issued = service.tokens.issue(await request.body(), authorization)
        service.effects.tokens_issued += 1
        answer = TokenAnswer(access_token=issued, expires_in=math.floor(service.tokens.ttl_s))
        # RFC 6749 §5.1: token answers must not be cached.
        return JSONResponse(answer.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.post("/api/v1/postOrder", response_model=OrderAnswer)
    async def post_order(request: Request, authorization: Authorization = None) -> OrderAnswer:
        """Create an order; the same OrderNumber with the same content answers the same ItemCode."""
        service.tokens.client_of(authorization)
        order, created = service.orders.post(await _read(request, PostOrderRequest), service.clock.now())
        if created:
            service.effects.orders_posted += 1
            if service.webhooks is not None:
                service.webhooks.watch(order)
        return OrderAnswer(Status=VnpostCode.OK, Message="Tạo đơn hàng thành công", ItemCode=order.item_code)

    @app.post("/api/v1/cancelOrder", response_model=OrderAnswer)
    async def cancel_order(request: Request, authorization: Authorization = None) -> OrderAnswer:
        """Cancel an order that is not yet out for delivery; cancelling twice is no change."""
        service.tokens.client_of(authorization)
        command = await _read(request, CancelOrderRequest)
        order, cancelled = service.orders.cancel(
            command.CustomerCode, command.OrderNumber, service.clock.now()
        )
        if cancelled:
            service.effects.orders_cancelled += 1
            if service.webhooks is not None:
                service.webhooks.rewatch(order)
        return OrderAnswer(Status=VnpostCode.OK, Message="Hủy đơn hàng thành công", ItemCode=order.item_code)

    @app.get("/api/v1/getOrderTracking")
    async def get_order_tracking(request: Request, authorization: Authorization = None) -> JSONResponse:
        """The latest status of the customer's orders, `pagesize` at a time after `lastId`."""
        service.tokens.client_of(authorization)
        try:
            query = TrackingQuery.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise VnpostError(VnpostCode.INVALID, describe_problems(exc)) from None
        now = service.clock.now()
        orders, total = service.orders.page(query.CustomerCode, query.pagesize, query.lastId)
        page = TrackingPage(
            embedded=[order.tracking_item(now) for order in orders],
            returned=len(orders),
            total_pages=math.ceil(total / query.pagesize),
        )
        return JSONResponse(page.model_dump(by_alias=True))

    @app.get("/_control/clock", response_model=ClockState)
    async def show_clock() -> ClockState:
        """The simulated time and speed."""
        return service.clock_state()

    @app.post("/_control/clock", response_model=ClockState)
    async def set_clock_speed(request: Request) -> ClockState:
        """Run the simulated clock at `speed` × real time from now on."""
        service.clock.set_speed((await _read(request, ClockSpeed)).speed)
        return service.clock_state()

    @app.post("/_control/clock/advance", response_model=ClockState)
    async def advance_clock(request: Request) -> ClockState:
        """Fast-forward the simulated clock; webhooks for the changes passed are queued at once."""
        service.clock.advance((await _read(request, ClockAdvance)).hours)
        if service.webhooks is not None:
            service.webhooks.scan()
        return service.clock_state()

    @app.post("/_control/clock/jump", response_model=ClockState, responses={409: {"description": "the past"}})
    async def jump_clock(request: Request) -> ClockState | JSONResponse:
        """Jump forward to a given time, to follow another simulated clock, never backwards (409); webhooks
        for the changes passed are queued at once."""
        jump = await _read(request, ClockJump)
        try:
            service.clock.jump_to(jump.now.timestamp())
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        if service.webhooks is not None:
            service.webhooks.scan()
        return service.clock_state()

    @app.get("/_control/effects", response_model=Effects)
    async def effects() -> Effects:
        """Counters of what the mock has done since it started."""
        return service.effects

    # Last, so that a call is matched against the app's own routes before the control routes.
    install_faults(app, "vnpost", FaultProfile(latency=settings.latency))
    return app
