"""Vietnam Social Security mock (BHXH/VSS): children's health-insurance cards and survivor benefits.

    lgsp mock insurance            # or: uvicorn --factory services.insurance.app:create_app --port 8108
    # CHILD: a newborn's number, as the civil registry answered it (see services/residence/app.py)
    curl -s -X POST localhost:8108/api/v1/bhyt/the-tre-em -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20261207-0001", "soDinhDanh": "'$CHILD'", "hoTen": "Phan Minh Khôi",
      "ngaySinh": "03/12/2026", "gioiTinh": 1,
      "nguoiGiamHo": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721", "quanHe": "Mẹ"}}'
    curl -s localhost:8108/api/v1/hoso/H31.29-20261207-0001       # trangThai, ngayHenTra, theBhyt once done
    curl -s -X POST localhost:8108/api/v1/chedo/tu-tuat -H 'content-type: application/json' -d '{
      "maHoSo": "H31.29-20261207-0005", "nguoiNhan": {"hoTen": "Nguyễn Thị Hương",
      "soDinhDanh": "030190745721", "quanHe": "Vợ"}, "nguoiChet": {"soDinhDanh": "031088551159",
      "hoTen": "Phan Anh Hải", "ngayChet": "30/11/2026"}}'
    curl -s localhost:8108/_control/effects

A card goes to a child under six only (422 NGOAI_DOI_TUONG otherwise), numbered TE1 + province + the
10-digit BHXH number, valid from birth to the day before the sixth birthday. A new dossier answers 201,
the same request again 200 with `X-Idempotent-Replay: true`, a used maHoSo with other content 409.
Errors are `{maLoi, thongBao, truong}` (codes in fund.py). Statuses: 1 received, 2 in progress, 3 done.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import JSONResponse

from services.casework import AgencyError
from services.casework.agency_app import agency_mock_app, created_responses, dossier_answer
from services.citizens import Population
from services.faults import Latency
from services.insurance.fund import SocialInsuranceFund
from services.insurance.models import CapTheTreEmRequest, HoSoBhxh, TheBhyt, TuTuatRequest
from services.insurance.settings import InsuranceSettings

DossierCode = Annotated[str, Path(min_length=1, max_length=64)]
IdNumber = Annotated[str, Path(pattern=r"^[0-9]{12}$")]


def create_app(
    population: Population | None = None,
    *,
    settings: InsuranceSettings | None = None,
    latency: bool = True,
    population_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The mock over `population` (shared with the other mocks in one process); people it does not hold
    are asked of the population database at `settings.population_url` (`population_transport` replaces
    the network)."""
    settings = settings or InsuranceSettings()
    base = agency_mock_app(
        settings,
        title="Bảo hiểm xã hội Việt Nam (mock)",
        name="insurance",
        population=population,
        population_transport=population_transport,
        latency=settings.latency if latency else Latency(),
    )
    fund = SocialInsuranceFund(base.people, settings, base.clock)
    return base.serve("insurance", fund, _routes(fund), fund.effects)


def _routes(fund: SocialInsuranceFund) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["BHXH"])
    created = created_responses(HoSoBhxh)

    @router.post("/bhyt/the-tre-em", responses=created)
    async def the_tre_em(req: CapTheTreEmRequest) -> JSONResponse:
        """Issue a health-insurance card to a child under six."""
        await fund.directory.learn([req.soDinhDanh, req.nguoiGiamHo.soDinhDanh])
        return dossier_answer(*fund.issue_child_card(req))

    @router.post("/chedo/tu-tuat", responses=created)
    async def tu_tuat(req: TuTuatRequest) -> JSONResponse:
        """Settle the survivor benefit of a deceased insured person."""
        await fund.directory.learn([req.nguoiChet.soDinhDanh, req.nguoiNhan.soDinhDanh])
        return dossier_answer(*fund.settle_survivor_benefit(req))

    @router.get("/hoso/{ma_ho_so}")
    async def ho_so(ma_ho_so: DossierCode) -> HoSoBhxh:
        """A dossier's status, appointment date and, once done, its card or benefit."""
        return fund.dossier(ma_ho_so)

    @router.get("/bhyt/the/{so_dinh_danh}")
    async def the_bhyt(so_dinh_danh: IdNumber) -> TheBhyt:
        """A child's card, once issued."""
        card = fund.card_of(so_dinh_danh)
        if card is None:
            raise AgencyError(404, "KHONG_CO_THE", f"no card issued to {so_dinh_danh}", "soDinhDanh")
        return card

    return router
