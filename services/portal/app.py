"""The National Public Service Portal mock (DVCQG) as a caller of the LGSP.

    export LGSP_PORTAL_GATEWAY_URL=http://127.0.0.1:8000
    python -m uvicorn --factory services.portal.app:create_app --port 8105
    curl -s -X POST localhost:8105/_control/portal/send -H 'content-type: application/json' \\
         -d '{"count": 10, "rate_per_second": 5}'      # → {"by_status": {"200": 10}, "dossiers": [...], ...}
    H=H31.29-20250105-0001                              # one of the "dossiers" numbers answered above
    curl -s -X POST localhost:8105/api/CapNhatTienDoHoSoMC -H 'content-type: application/json' \\
         -d '{"MaHoSo": "'$H'", "TrangThaiHoSo": 2, "NgayCapNhat": "20990101080000", "NoiDung": "Tiếp nhận"}'
    curl -s "localhost:8105/api/TraCuuHoSo?MaHoSo=$H"
    # citizens filing interconnected dossiers, handed to the province as journeys (POST /journeys/{kind}):
    curl -s -X PUT localhost:8105/_control/portal/traffic -H 'content-type: application/json' \\
         -d '{"rates_per_minute": {"birth": 2, "death": 1}}'   # start, or change the rates
    curl -s localhost:8105/_control/portal/traffic                # rates, dossiers filed, answers
    curl -s -X DELETE localhost:8105/_control/portal/traffic      # stop
    curl -s -X POST localhost:8105/_control/portal/traffic/file -H 'content-type: application/json' \
         -d '{"procedure": "dossier"}'     # one citizen files one now: {dossier_code, status_code, answer}
    curl -s localhost:8105/_control/portal/payments   # fee links shown (status 6 + UrlThanhToan), paid how
    # a load test playing the portal's sending side files each dossier here, then sends it to the LGSP:
    curl -s -X POST localhost:8105/_control/portal/dossiers -H 'content-type: application/json' -d @hoso.json
    curl -s localhost:8105/_control/clock   # when ordinary dossiers and certificate requests are received
    # and citizens pay, in simulated working time: a compressed bus leads it (POST {speed}, /jump {now},
    # /advance)

Errors are `{error_code, message, field}`; error_code "0" means success.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.casework.control import clock_router
from services.citizens import Population
from services.clock import SimulatedClock
from services.faults import install_faults
from services.portal.citizen_draws import CitizenDraws
from services.portal.citizen_payments import CitizenPayments, PayerRates, PaymentsStatus
from services.portal.citizen_traffic import (
    CitizenTraffic,
    FiledDossier,
    FileRequest,
    TrafficRates,
    TrafficStatus,
    check_rates,
)
from services.portal.dossiers import DossierFactory
from services.portal.interconnected import InterconnectedBook, interconnected_router
from services.portal.progress import (
    CapNhatTienDo,
    DossierBook,
    HoSoNgoai,
    HoSoTraCuu,
    ProgressRejected,
    TienDo,
)
from services.portal.sender import DossierSender, SendRequest, SendSummary, check_bounds
from services.portal.settings import PortalSettings
from services.telemetry import NO_TELEMETRY


class PortalError(BaseModel):
    """The portal's one error body."""

    error_code: str
    message: str
    field: str | None = None


class CapNhatKetQua(BaseModel):
    """The answer to an accepted progress update."""

    error_code: str = "0"
    message: str
    TienDo: TienDo


class HoSoDaNop(BaseModel):
    """The answer to a dossier filed for a sender outside the portal."""

    error_code: str = "0"
    message: str
    MaHoSo: str


class SoHoSo(BaseModel):
    """How many dossiers the portal remembers."""

    dossiers: int


ERROR_CODES = {404: "HOSO_KHONG_TON_TAI", 409: "CHUYEN_TRANG_THAI_KHONG_HOP_LE", 422: "DU_LIEU_KHONG_HOP_LE"}


def create_app(
    settings: PortalSettings | None = None,
    *,
    population: Population | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The portal app; `transport` replaces the network for outbound calls (tests inject a MockTransport)."""
    settings = settings or PortalSettings()
    population = population or Population(seed=settings.population_seed, size=settings.population_size)
    book = DossierBook(settings.max_dossiers)
    factory = DossierFactory(population, agency_code=settings.agency_code, seed=settings.seed)
    sender = DossierSender(settings, factory, book, transport)
    draws = CitizenDraws(population, seed=settings.seed)
    clock = SimulatedClock()
    traffic = CitizenTraffic(settings, draws, transport=transport, book=book, now=clock.now_datetime)
    rates = PayerRates(
        settings.late_payment_rate, settings.failed_payment_rate, settings.abandoned_payment_rate
    )
    payments = CitizenPayments(
        clock, seed=settings.seed, rates=rates, capacity=settings.max_dossiers, transport=transport,
        timeout_s=settings.request_timeout_s,
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        payments.start(settings.traffic_tick_seconds)
        if settings.traffic_rates_per_minute:
            await traffic.start(settings.traffic_rates_per_minute)
        try:
            yield
        finally:
            await traffic.close()
            await payments.close()

    app = FastAPI(
        title="National Public Service Portal (DVCQG) mock",
        version="1",
        lifespan=lifespan,
        telemetry=NO_TELEMETRY,
    )
    app.state.dossiers = book
    app.state.traffic = traffic
    app.state.payments = payments
    _install_error_handlers(app)
    app.include_router(_portal_routes(book, payments))
    app.include_router(interconnected_router(InterconnectedBook(settings.max_dossiers)))
    app.include_router(_control_routes(sender, book, settings))
    app.include_router(_traffic_routes(traffic, settings))
    app.include_router(_payments_routes(payments))
    app.include_router(clock_router(clock))
    # Last, so that a call is matched against the app's own routes before the control routes.
    install_faults(app, "portal")
    return app


def _error(status: int, message: str, field: str | None = None, code: str | None = None) -> JSONResponse:
    body = PortalError(error_code=code or ERROR_CODES.get(status, "LOI"), message=message, field=field)
    return JSONResponse(body.model_dump(), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    async def on_rejected(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProgressRejected)
        return _error(exc.status, exc.message, exc.field, exc.code)

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query")) or "body"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        return _error(422, f"{field}: {first['msg']}{more}", field)

    app.add_exception_handler(ProgressRejected, on_rejected)
    app.add_exception_handler(RequestValidationError, on_invalid)


def _portal_routes(book: DossierBook, payments: CitizenPayments) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["DVCQG"])

    @router.post("/CapNhatTienDoHoSoMC")
    async def cap_nhat_tien_do(update: CapNhatTienDo) -> CapNhatKetQua:
        """Receive a progress update from the province; a repeat of the last one is accepted once. A
        payment link (status 6) is shown to the dossier's citizen, who pays on it in time."""
        entry, replayed = book.apply(update)
        if not replayed and update.UrlThanhToan is not None:
            payments.owe(update.MaHoSo, update.UrlThanhToan)
        message = "Cập nhật đã được ghi nhận trước đó" if replayed else "Cập nhật thành công"
        return CapNhatKetQua(message=message, TienDo=entry)

    @router.get("/TraCuuHoSo")
    async def tra_cuu_ho_so(MaHoSo: Annotated[str, Query(min_length=1, max_length=64)]) -> HoSoTraCuu:
        """A dossier and its progress history."""
        return book.lookup(MaHoSo)

    return router


def _control_routes(sender: DossierSender, book: DossierBook, settings: PortalSettings) -> APIRouter:
    router = APIRouter(prefix="/_control/portal", tags=["control"])

    @router.post(
        "/dossiers", status_code=201, response_model=HoSoDaNop, responses={200: {"model": HoSoDaNop}}
    )
    async def file_dossier(dossier: HoSoNgoai) -> HoSoDaNop | JSONResponse:
        """File a dossier that the caller sends to the province itself (a load test playing the portal's
        sending side), so the province's progress reports on it are accepted here: 201 new, 200 the same
        dossier again, 409 another dossier under a known number (nothing changes)."""
        if book.add_new(dossier):
            return HoSoDaNop(message="Hồ sơ đã được ghi nhận", MaHoSo=dossier.MaHoSo)
        again = HoSoDaNop(message="Hồ sơ đã được ghi nhận trước đó", MaHoSo=dossier.MaHoSo)
        return JSONResponse(again.model_dump(), status_code=200)

    @router.get("/dossiers")
    async def dossiers() -> SoHoSo:
        """How many dossiers the portal remembers (sent, filed, or filed from outside)."""
        return SoHoSo(dossiers=len(book))

    @router.post("/send", response_model=SendSummary)
    async def send(run: SendRequest) -> SendSummary | JSONResponse:
        """Generate `count` dossiers and send them to the gateway at `rate_per_second`; answers a tally."""
        problem = check_bounds(run, settings)
        if problem is not None:
            return _error(422, problem, "count" if problem.startswith("count") else "rate_per_second")
        return await sender.run(run)

    return router


def _payments_routes(payments: CitizenPayments) -> APIRouter:
    router = APIRouter(prefix="/_control/portal/payments", tags=["control"])

    @router.get("")
    async def payments_status() -> PaymentsStatus:
        """The payment links citizens were shown and how they paid."""
        return payments.status()

    return router


def _traffic_routes(traffic: CitizenTraffic, settings: PortalSettings) -> APIRouter:
    router = APIRouter(prefix="/_control/portal/traffic", tags=["control"])

    @router.get("")
    async def traffic_status() -> TrafficStatus:
        """Whether citizens file dossiers, at what rates, and what the province answered."""
        return traffic.status()

    @router.put("", response_model=TrafficStatus)
    async def start_traffic(rates: TrafficRates) -> TrafficStatus | JSONResponse:
        """Start citizens filing at these rates per minute, or change the rates of a running traffic."""
        problem = check_rates(rates, settings)
        if problem is not None:
            return _error(422, problem, "rates_per_minute")
        await traffic.start(rates.rates_per_minute)
        return traffic.status()

    @router.post("/file", response_model=FiledDossier)
    async def file_one(request: FileRequest) -> FiledDossier | JSONResponse:
        """One citizen files a dossier of `procedure` now (besides the rates): the portal records it and
        hands it to the province; answers the code and the gateway's answer (a load test follows it)."""
        filed = await traffic.file_one(request.procedure)
        if filed is None:
            return _error(503, f"no citizen fitting a {request.procedure} dossier was drawn", "procedure")
        return filed

    @router.delete("")
    async def stop_traffic() -> TrafficStatus:
        """Stop filing; dossiers being handed in finish first."""
        await traffic.stop()
        return traffic.status()

    return router
