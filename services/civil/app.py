"""The civil registry mock (Ministry of Justice, hộ tịch): REST/JSON with the Ministry's field names.

    python -m uvicorn --factory services.civil.app:create_app --port 8102
    curl -s localhost:8102/api/v1/hotich/congdan/030190745721     # Nguyễn Thị Hương, seed 2023
    curl -s -X POST localhost:8102/api/v1/hotich/khaisinh -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20250105-0001", "so": "1", "quyenSo": "01/2025", "trangSo": "1",
      "ngayDangKy": "2025-01-05", "loaiDangKy": 1, "noiDangKy": "UBND phường Lạch Tray",
      "nguoiKy": "Nguyễn Văn Hùng", "chucVuNguoiKy": "Chủ tịch", "nguoiThucHien": "Trần Thị Mai",
      "nksHoTen": "Lê Minh Khôi", "nksGioiTinh": 1, "nksNgaySinh": "2025-01-01",
      "nksNoiSinh": "Bệnh viện Phụ sản Hải Phòng", "nksQueQuan": "Hải Phòng",
      "me": {"HoTen": "Nguyễn Thị Hương", "NgaySinh": "1990-08-07", "NoiCuTru": "Hải Phòng",
             "SoGiayToTuyThan": "030190745721"},
      "nyc": {"HoTen": "Nguyễn Thị Hương", "QuanHe": "Mẹ", "SoGiayToTuyThan": "030190745721"}}'
    curl -s localhost:8102/_control/effects

A birth answers 201 with `nksSoDinhDanh`, issued by the population database (over HTTP at
LGSP_CIVIL_POPULATION_URL, else in the population this process shares with the population mock), or
(LGSP_CIVIL_PENDING_RATE, default 2 %) `trangThai` 2 and `yeuCauBoSung`; then POST
.../khaisinh/{id}/bosung `{"taiLieuBoSung": [...]}` issues the number. When the population database
does not answer, the birth waits (`trangThai` 2, no documents asked) and GET .../khaisinh/{id} asks again.
Registrations are idempotent on `maHoSo`: the same body again answers 200 with the first record and the
header `X-Idempotent-Replay: true`; a different body with a used `maHoSo` answers 409. Errors are
`{maLoi, thongBao, chiTiet: [{truong, thongBao}]}` with the Ministry's field names.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.citizens import Population
from services.civil.death_notices import DeathNotices
from services.civil.errors import install_error_handlers
from services.civil.id_issuers import ChildIdIssuer, HttpIdIssuer, SharedPopulationIssuer
from services.civil.models import (
    BoSungKhaiSinh,
    EffectCounts,
    HoTichRecord,
    KetHonRequest,
    KhaiSinhRequest,
    KhaiTuRequest,
    TinhTrangHonNhan,
    XacNhanTTHNRequest,
)
from services.civil.registry import CivilRegistry, Kind
from services.civil.settings import CivilSettings
from services.faults import FaultProfile, Latency, install_faults
from services.telemetry import NO_TELEMETRY

Req = TypeVar("Req", bound=BaseModel)
RecordId = Path(pattern=r"^[A-Z]{2}\.[0-9]{3}\.[0-9]{8}$", description="record id, e.g. KS.031.00000001")
PersonId = Path(pattern=r"^[0-9]{12}$", description="12-digit personal ID number")
DEFAULT_LATENCY = Latency.lognormal(p50_ms=200, p99_ms=1500)


class CongDanHoTich(BaseModel):
    """A person's civil status and every record that names them."""

    soDinhDanh: str
    hoTen: str
    tinhTrangHonNhan: TinhTrangHonNhan
    daMat: bool
    hoSo: list[HoTichRecord]


def create_app(
    population: Population | None = None,
    *,
    latency: bool = True,
    settings: CivilSettings | None = None,
    population_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The registry app. Newborns' numbers are issued by the population database at
    `settings.population_url` (`population_transport` replaces the network, e.g. an ASGI transport to the
    population mock), else in `population`, shared with the population mock of this process."""
    settings = settings or CivilSettings()
    if population is None:
        population = Population(seed=settings.population_seed, size=settings.population_size)
    client: httpx.AsyncClient | None = None
    issuer: ChildIdIssuer = SharedPopulationIssuer(population)
    notices: DeathNotices | None = None  # in one process, the shared population records deaths itself
    if settings.population_url is not None:
        client = httpx.AsyncClient(base_url=settings.population_url, transport=population_transport)
        issuer = HttpIdIssuer(client, settings.population_timeout_s)
        notices = DeathNotices(client, settings.population_timeout_s)
    registry = CivilRegistry(
        population,
        province_code=settings.province_code,
        pending_rate=settings.pending_rate,
        seed=settings.seed,
        issuer=issuer,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        retrying = asyncio.create_task(notices.keep_sending(settings.notice_retry_s)) if notices else None
        try:
            yield
        finally:
            if retrying is not None:
                retrying.cancel()
                await asyncio.gather(retrying, return_exceptions=True)
            if client is not None:
                await client.aclose()

    app = FastAPI(
        title="Civil registry (hộ tịch) mock", version="1", lifespan=lifespan, telemetry=NO_TELEMETRY
    )
    app.state.registry = registry
    install_error_handlers(app)
    app.state.death_notices = notices
    app.include_router(_registration_routes(registry, notices))
    app.include_router(_control_routes(registry, notices))
    # Last, so that a call is matched against the app's own routes before the control routes.
    install_faults(app, "civil", FaultProfile(latency=DEFAULT_LATENCY if latency else Latency()))
    return app


def _answer(register: Callable[[Req], tuple[HoTichRecord, bool]], req: Req) -> JSONResponse:
    return _response(*register(req))


def _response(record: HoTichRecord, replayed: bool) -> JSONResponse:
    headers = {"X-Idempotent-Replay": "true" if replayed else "false"}
    return JSONResponse(record.model_dump(mode="json"), status_code=200 if replayed else 201, headers=headers)


def _registration_routes(registry: CivilRegistry, notices: DeathNotices | None) -> APIRouter:
    router = APIRouter(prefix="/api/v1/hotich", tags=["hộ tịch"])
    created: dict[int | str, dict[str, Any]] = {201: {"model": HoTichRecord}, 200: {"model": HoTichRecord}}

    @router.post("/khaisinh", responses=created)
    async def khai_sinh(req: KhaiSinhRequest) -> JSONResponse:
        """Register a birth; the child gets a personal ID number unless the record is left pending."""
        return _response(*await registry.register_birth(req))

    @router.post("/khaitu", responses=created)
    async def khai_tu(req: KhaiTuRequest) -> JSONResponse:
        """Register the death of a living person of the population."""
        record, replayed = registry.register_death(req)
        if notices is not None and not replayed:
            notices.add(record.maHoSo, req.nktSoDinhDanh, req.nktNgayChet)
            await notices.flush()  # best effort: what is not taken now is re-sent in the background
        return _response(record, replayed)

    @router.post("/kethon", responses=created)
    async def ket_hon(req: KetHonRequest) -> JSONResponse:
        """Register a marriage between two unmarried adults of the population."""
        return _answer(registry.register_marriage, req)

    @router.post("/xacnhantthn", responses=created)
    async def xac_nhan_tthn(req: XacNhanTTHNRequest) -> JSONResponse:
        """Certify a living person's marital status."""
        return _answer(registry.certify_marital_status, req)

    @router.post("/khaisinh/{record_id}/bosung", responses=created)
    async def bo_sung_khai_sinh(req: BoSungKhaiSinh, record_id: str = RecordId) -> JSONResponse:
        """Supply the documents a pending birth waits for; the child's ID number is issued then."""
        return _response(*await registry.supplement_birth(record_id, req))

    @router.get("/khaisinh/{record_id}")
    async def get_khaisinh(record_id: str = RecordId) -> HoTichRecord:
        """One birth record by its id; a number the population database did not issue is asked again."""
        return await registry.refresh_birth(record_id)

    for kind in ("khaitu", "kethon", "xacnhantthn"):
        router.add_api_route(f"/{kind}/{{record_id}}", _lookup(registry, kind), methods=["GET"])

    @router.get("/congdan/{so_dinh_danh}")
    async def cong_dan(so_dinh_danh: str = PersonId) -> CongDanHoTich:
        """A person's current civil status and the records naming them."""
        person, records = registry.records_of(so_dinh_danh)
        return CongDanHoTich(
            soDinhDanh=person.so_dinh_danh,
            hoTen=person.ho_ten,
            tinhTrangHonNhan=person.tinh_trang_hon_nhan,
            daMat=not person.alive,
            hoSo=records,
        )

    return router


def _lookup(registry: CivilRegistry, kind: Kind) -> Callable[..., object]:
    async def lookup(record_id: str = RecordId) -> HoTichRecord:
        return registry.record(kind, record_id)

    lookup.__doc__ = f"One {kind} record by its id."
    lookup.__name__ = f"get_{kind}"
    return lookup


def _control_routes(registry: CivilRegistry, notices: DeathNotices | None) -> APIRouter:
    router = APIRouter(prefix="/_control", tags=["control"])

    @router.get("/effects")
    async def effects() -> EffectCounts:
        """How many registrations actually took effect (a replayed dossier counts once)."""
        pending = len(notices) if notices is not None else 0
        return registry.effects.model_copy(update={"khaitu_cho_bao_dan_cu": pending})

    return router
