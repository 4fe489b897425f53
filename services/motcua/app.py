"""The province's one-stop dossier system mock (Hệ thống thông tin giải quyết TTHC cấp tỉnh).

It takes in dossiers the National Public Service Portal synchronises (through the LGSP), moves each
through processing on a simulated clock, and reports every status change back to the portal THROUGH the
LGSP gateway (service CapNhatTienDoHoSoMC, as client VN/GOV/HPG/MOTCUA).

    python -m uvicorn --factory services.motcua.app:create_app --port 8106
    curl -s -X POST localhost:8106/api/v1/hoso -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20250105-0001", "kenhNop": 2,
      "thuTuc": {"maTTHC": "1.001193", "tenTTHC": "Thủ tục đăng ký khai sinh", "maLinhVuc": "HT",
                 "tenLinhVuc": "Hộ tịch", "maDVC": "1.001193.H31"},
      "chuHoSo": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721"},
      "ngayTiepNhan": "2025-01-05T08:00:00+07:00", "ngayHenTra": "2025-01-06T08:00:00+07:00",
      "trichYeu": "Thủ tục đăng ký khai sinh - Nguyễn Thị Hương", "donViXuLy": "H31.29"}'
    curl -s -X POST localhost:8106/_control/clock/advance -H 'content-type: application/json' \\
         -d '{"hours": 72}'
    curl -s localhost:8106/api/v1/hoso/H31.29-20250105-0001      # trangThai and lichSu so far
    curl -s localhost:8106/_control/effects

A new dossier answers 201, the same again 200 with `X-Idempotent-Replay: true`, a used maHoSo with other
content 409. Errors are `{maLoi, thongBao, truong}`.

A dossier handed in with `"trangThaiTiepNhan": 4` was accepted and its fee collected by the caller (the
LGSP's ordinary-dossier journey, which plays the one-stop's part towards the portal and the payment
platform): the officers only decide (services.motcua.decisions: 9 approved, 8 refused, or 5 papers asked
for, then 4 or 8), in simulated working time, and the system reports none of it: the caller reads the
record (`GET /api/v1/hoso/{maHoSo}`) and reports each status to the portal itself, so the portal hears
each status once. `POST /_control/clock/jump {now}` follows another simulated clock (the bus's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.casework.control import clock_router
from services.clock import SimulatedClock
from services.faults import FaultProfile, install_faults
from services.motcua.book import DossierBook, DossierConflict, DossierUnknown
from services.motcua.models import (
    Effects,
    HoSoMotCua,
    HoSoTiepNhan,
    LoiMotCua,
)
from services.motcua.reporter import ProgressReporter
from services.motcua.settings import MotcuaSettings
from services.telemetry import NO_TELEMETRY

DossierPath = Annotated[str, Path(min_length=1, max_length=64)]


class MotcuaService:
    """The mock's state behind the routes; `reporter` exists while the app's lifespan runs."""

    def __init__(self, settings: MotcuaSettings) -> None:
        self.settings = settings
        self.clock = SimulatedClock(settings.clock_speed)
        self.book = DossierBook(
            capacity=settings.max_dossiers,
            seed=settings.seed,
            province_code=settings.province_code,
            not_accepted_rate=settings.not_accepted_rate,
            supplement_rate=settings.supplement_rate,
            abandon_rate=settings.abandon_rate,
            refusal_rate=settings.refusal_rate,
            default_working_days=settings.default_working_days,
        )
        self.effects = Effects()
        self.reporter: ProgressReporter | None = None

    def report_now(self) -> None:
        """Report at once the progress the simulated time passed has made (after a jump or an advance)."""
        if self.reporter is not None:
            self.reporter.scan()


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        LoiMotCua(maLoi=code, thongBao=message, truong=field).model_dump(), status_code=status
    )


def create_app(
    settings: MotcuaSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The one-stop system app; progress reporting runs only while its lifespan is active and a gateway
    URL is set. `transport` replaces the network for the reports (tests inject one)."""
    settings = settings or MotcuaSettings()
    service = MotcuaService(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not settings.gateway_url:
            yield
            return
        async with httpx.AsyncClient(transport=transport) as client:
            reporter = ProgressReporter(service.book, client, service.clock, settings, service.effects)
            service.reporter = reporter
            reporter.start()
            try:
                yield
            finally:
                await reporter.aclose()
                service.reporter = None

    app = FastAPI(
        title="One-stop dossier system (một cửa điện tử) mock",
        version="1",
        lifespan=lifespan,
        telemetry=NO_TELEMETRY,
    )
    app.state.motcua = service
    _install_error_handlers(app)
    app.include_router(_dossier_routes(service))
    app.include_router(_control_routes(service))
    app.include_router(clock_router(service.clock, on_change=service.report_now))
    # Last, so that a call is matched against the app's own routes before the control routes.
    install_faults(app, "motcua", FaultProfile(latency=settings.latency))
    return app


def _install_error_handlers(app: FastAPI) -> None:
    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "path", "query")) or "body"
        message = str(first["msg"])
        if field == "body" and message.startswith("Value error, ") and ":" in message:
            # Cross-field checks name their field first ("ngayHenTra: ..."), so the caller learns it.
            field, _sep, message = message.removeprefix("Value error, ").partition(": ")
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        return _error(422, "DU_LIEU_KHONG_HOP_LE", f"{field}: {message}{more}", field)

    async def on_conflict(_: Request, exc: Exception) -> JSONResponse:
        return _error(409, "TRUNG_MA_HO_SO", str(exc), "maHoSo")

    async def on_unknown(_: Request, exc: Exception) -> JSONResponse:
        return _error(404, "HO_SO_KHONG_TON_TAI", str(exc), "maHoSo")

    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(DossierConflict, on_conflict)
    app.add_exception_handler(DossierUnknown, on_unknown)


def _dossier_routes(service: MotcuaService) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["hồ sơ"])
    answers: dict[int | str, dict[str, object]] = {201: {"model": HoSoMotCua}, 200: {"model": HoSoMotCua}}

    @router.post("/hoso", responses=answers)
    async def tiep_nhan(dossier: HoSoTiepNhan) -> JSONResponse:
        """Take in a synchronised dossier; the same maHoSo and content again changes nothing."""
        now = service.clock.now()
        held, replayed = service.book.receive(dossier, now)
        if not replayed:
            service.effects.dossiers_received += 1
            if service.reporter is not None and held.reports_progress:
                service.reporter.watch(held)
        headers = {"X-Idempotent-Replay": "true" if replayed else "false"}
        body = held.record(now).model_dump(mode="json")
        return JSONResponse(body, status_code=200 if replayed else 201, headers=headers)

    @router.get("/hoso/{ma_ho_so}")
    async def tra_cuu(ma_ho_so: DossierPath) -> HoSoMotCua:
        """A dossier: its state and processing history as of the simulated now."""
        return service.book.get(ma_ho_so).record(service.clock.now())

    return router


def _control_routes(service: MotcuaService) -> APIRouter:
    router = APIRouter(prefix="/_control", tags=["control"])

    @router.get("/effects")
    async def effects() -> Effects:
        """Counters of what the mock has done since it started (a replayed dossier counts once)."""
        return service.effects

    return router
