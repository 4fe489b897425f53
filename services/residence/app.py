"""The police residence database mock (CSDL về cư trú, Bộ Công an): REST/JSON with its own field names.

    lgsp mock residence            # or: uvicorn --factory services.residence.app:create_app --port 8107
    # CHILD: the number the civil registry answered for a birth to Nguyễn Thị Hương (seed 2023)
    curl -s -X POST localhost:8107/api/v1/cutru/dangkythuongtru -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20261207-0001", "soSoHoKhau": "319569559",
      "nguoiDangKy": {"soDinhDanh": "'$CHILD'", "hoTen": "Phan Minh Khôi", "ngaySinh": "2026-12-03",
                      "gioiTinh": 1},
      "chuHo": {"soDinhDanh": "031088551159", "hoTen": "Phan Anh Hải"},
      "nguoiKeKhai": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721", "quanHe": "Mẹ"}}'
    curl -s localhost:8107/api/v1/cutru/hoso/H31.29-20261207-0001      # trangThai, ngayHenTra, ketQua
    curl -s localhost:8107/api/v1/cutru/congdan/$CHILD                  # the person's residence now
    curl -s -X POST localhost:8107/_control/clock/advance -H 'content-type: application/json' \\
         -d '{"hours": 48}'
    curl -s localhost:8107/_control/effects

A new dossier answers 201, the same request again 200 with `X-Idempotent-Replay: true`, a used maHoSo
with other content 409. Errors are `{maLoi, thongBao, truong}`; the codes are listed in registry.py.
Statuses (trangThai): 1 received, 2 verifying, 3 processing, 4 done (ketQua then holds the outcome).
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import JSONResponse

from services.casework.agency_app import agency_mock_app, created_responses, dossier_answer
from services.citizens import Population
from services.faults import Latency
from services.residence.models import (
    CongDanCuTru,
    DangKyThuongTruRequest,
    HoSoCuTru,
    XoaDangKyThuongTruRequest,
)
from services.residence.registry import ResidenceDatabase
from services.residence.settings import ResidenceSettings

DossierCode = Annotated[str, Path(min_length=1, max_length=64)]
IdNumber = Annotated[str, Path(pattern=r"^[0-9]{12}$")]


def create_app(
    population: Population | None = None,
    *,
    settings: ResidenceSettings | None = None,
    latency: bool = True,
    population_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The mock over `population` (shared with the other mocks in one process); people it does not hold
    are asked of the population database at `settings.population_url` (`population_transport` replaces
    the network)."""
    settings = settings or ResidenceSettings()
    base = agency_mock_app(
        settings,
        title="CSDL về cư trú (mock)",
        name="residence",
        population=population,
        population_transport=population_transport,
        latency=settings.latency if latency else Latency(),
    )
    database = ResidenceDatabase(base.people, settings, base.clock)
    return base.serve("residence", database, _routes(database), database.effects)


def _routes(database: ResidenceDatabase) -> APIRouter:
    router = APIRouter(prefix="/api/v1/cutru", tags=["cư trú"])
    created = created_responses(HoSoCuTru)

    @router.post("/dangkythuongtru", responses=created)
    async def dang_ky_thuong_tru(req: DangKyThuongTruRequest) -> JSONResponse:
        """Register a newborn's permanent residence in a household."""
        await database.directory.learn([req.nguoiDangKy.soDinhDanh, req.chuHo.soDinhDanh])
        child = database.directory.known(req.nguoiDangKy.soDinhDanh)
        parents = [p.id_number for p in (child.father, child.mother) if p and p.id_number] if child else []
        await database.directory.learn(parents)
        return dossier_answer(*database.register_newborn(req))

    @router.post("/xoadangkythuongtru", responses=created)
    async def xoa_dang_ky_thuong_tru(req: XoaDangKyThuongTruRequest) -> JSONResponse:
        """Remove a deceased person's permanent residence."""
        await database.directory.learn([req.soDinhDanh])
        return dossier_answer(*database.remove_deceased(req))

    @router.get("/hoso/{ma_ho_so}")
    async def ho_so(ma_ho_so: DossierCode) -> HoSoCuTru:
        """A dossier's status, appointment date and, once done, its result."""
        return database.dossier(ma_ho_so)

    @router.get("/congdan/{so_dinh_danh}")
    async def cong_dan(so_dinh_danh: IdNumber) -> CongDanCuTru:
        """A person's permanent residence as the database holds it now."""
        await database.directory.learn([so_dinh_danh])
        return database.resident(so_dinh_danh)

    return router
