"""Labour and social affairs mock (Bộ LĐTBXH, social protection): the funeral allowance (hỗ trợ mai táng).

    lgsp mock social               # or: uvicorn --factory services.social.app:create_app --port 8109
    curl -s -X POST localhost:8109/api/v1/trogiup/mai-tang -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20261207-0002",
      "nguoiMat": {"soDinhDanh": "031034998043", "hoTen": "Nguyễn Văn Khoa", "ngayMat": "30/11/2026"},
      "nguoiLoMaiTang": {"hoTen": "Đào Ngọc Dũng", "soDinhDanh": "031086944424", "quanHe": "Con",
                         "diaChi": "Số 12, ngõ 40, Lạch Tray, Ngô Quyền, Hải Phòng"}}'
    curl -s localhost:8109/api/v1/hoso/H31.29-20261207-0002       # trangThai, ngayHenTra, quyetDinh
    curl -s localhost:8109/_control/effects

A new dossier answers 201, the same request again 200 with `X-Idempotent-Replay: true`, a used maHoSo
with other content 409. Errors are `{maLoi, thongBao, truong}` (codes in office.py). Statuses: 1 received,
2 in progress, 3 allowance decided.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import JSONResponse

from services.casework.agency_app import agency_mock_app, created_responses, dossier_answer
from services.citizens import Population
from services.faults import Latency
from services.social.models import HoSoMaiTang, HoTroMaiTangRequest
from services.social.office import SocialProtectionOffice
from services.social.settings import SocialSettings

DossierCode = Annotated[str, Path(min_length=1, max_length=64)]


def create_app(
    population: Population | None = None,
    *,
    settings: SocialSettings | None = None,
    latency: bool = True,
    population_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The mock over `population` (shared with the other mocks in one process); people it does not hold
    are asked of the population database at `settings.population_url` (`population_transport` replaces
    the network)."""
    settings = settings or SocialSettings()
    base = agency_mock_app(
        settings,
        title="Hệ thống bảo trợ xã hội - Bộ LĐTBXH (mock)",
        name="social",
        population=population,
        population_transport=population_transport,
        latency=settings.latency if latency else Latency(),
    )
    office = SocialProtectionOffice(base.people, settings, base.clock)
    return base.serve("social", office, _routes(office), office.effects)


def _routes(office: SocialProtectionOffice) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["bảo trợ xã hội"])
    created = created_responses(HoSoMaiTang)

    @router.post("/trogiup/mai-tang", responses=created)
    async def mai_tang(req: HoTroMaiTangRequest) -> JSONResponse:
        """Claim the funeral allowance of a deceased social-assistance beneficiary."""
        await office.directory.learn([req.nguoiMat.soDinhDanh, req.nguoiLoMaiTang.soDinhDanh])
        return dossier_answer(*office.claim_funeral_allowance(req))

    @router.get("/hoso/{ma_ho_so}")
    async def ho_so(ma_ho_so: DossierCode) -> HoSoMaiTang:
        """A dossier's status, appointment date and, once made, the decision."""
        return office.dossier(ma_ho_so)

    return router
