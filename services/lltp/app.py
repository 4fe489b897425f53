"""Judicial-records mock (lý lịch tư pháp, LLTP; Ministry of Justice, the province's Department of Justice).

    lgsp mock lltp                 # or: uvicorn --factory services.lltp.app:create_app --port 8110
    curl -s -X POST localhost:8110/api/lltp/dangky -H 'content-type: application/json' -d '{
      "maTinh": "31", "maHoSoMCDT": "H31.29-20261207-0003", "nguonDangKy": 3,
      "toKhai": {"loaiPhieu": 1, "mucDich": "Bổ sung hồ sơ xin việc", "soLuongCap": 1,
                 "hoTen": "Nguyễn Thị Hương", "gioiTinh": 2, "ngaySinh": "07/08/1990",
                 "noiSinh": "Hải Phòng", "soGiayTo": "030190745721", "ngayCapGiayTo": "10/05/2021",
                 "noiCapGiayTo": "Cục Cảnh sát QLHC về TTXH", "noiThuongTru": "Lạch Tray, Hải Phòng",
                 "quaTrinhCuTru": [{"tuNgay": "08/2004", "noiCuTru": "Lạch Tray, Hải Phòng"}],
                 "ngayHenTra": "21/12/2026"}}'
    curl -s localhost:8110/api/lltp/ketqua/H31.29-20261207-0003     # poll: trangThai 9/10, ketQua, PDF
    curl -s localhost:8110/api/lltp/phieu/H31.29-20261207-0003/pdf -o phieu.pdf
    curl -s -X POST localhost:8110/_control/clock/advance -H 'content-type: application/json' \\
         -d '{"hours": 360}'

Statuses (trangThai): 1 received, 2 searching the records, 3 verifying with police and courts,
9 certificate issued, 10 refused, 11 revoked. A new request answers 201, the same request again 200 with
`X-Idempotent-Replay: true`, a used maHoSoMCDT with other content 409. Errors are `{maLoi, thongBao,
truong}` (codes in records.py).
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import JSONResponse, Response

from services.casework import AgencyError, CaseUnknown
from services.casework.agency_app import agency_mock_app, created_responses, dossier_answer
from services.citizens import Population
from services.faults import Latency
from services.lltp.models import (
    DangKyCapPhieuRequest,
    HoSoLLTP,
    KetQuaTraCuu,
    KetQuaTraCuuRequest,
    ThuHoiRequest,
)
from services.lltp.records import JudicialRecordsOffice
from services.lltp.settings import LltpSettings

DossierCode = Annotated[str, Path(min_length=1, max_length=64)]


def create_app(
    population: Population | None = None,
    *,
    settings: LltpSettings | None = None,
    latency: bool = True,
    population_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The mock over `population` (shared with the other mocks in one process); people it does not hold
    are asked of the population database at `settings.population_url` (`population_transport` replaces
    the network)."""
    settings = settings or LltpSettings()
    base = agency_mock_app(
        settings,
        title="Hệ thống lý lịch tư pháp (mock)",
        name="lltp",
        population=population,
        population_transport=population_transport,
        latency=settings.latency if latency else Latency(),
        code_field="maHoSoMCDT",
    )
    office = JudicialRecordsOffice(base.people, settings, base.clock)
    return base.serve("lltp", office, _routes(office, settings), office.effects)


def _routes(office: JudicialRecordsOffice, settings: LltpSettings) -> APIRouter:
    router = APIRouter(prefix="/api/lltp", tags=["lý lịch tư pháp"])
    created = created_responses(HoSoLLTP)

    @router.post("/dangky", responses=created)
    async def dang_ky(req: DangKyCapPhieuRequest) -> JSONResponse:
        """Take in a certificate request forwarded by the one-stop system."""
        await office.directory.learn([req.toKhai.soGiayTo])
        return dossier_answer(*office.request(req))

    @router.get("/ketqua/{ma_ho_so}")
    async def ket_qua(ma_ho_so: DossierCode) -> HoSoLLTP:
        """Poll one request: its status and, once issued, the certificate with its PDF (base64)."""
        return office.result(ma_ho_so)

    @router.post("/ketqua")
    async def ket_qua_nhieu(poll: KetQuaTraCuuRequest) -> KetQuaTraCuu:
        """Poll many requests at once (no PDFs); unknown codes are listed apart."""
        if len(poll.danhSachMaHoSo) > settings.max_batch:
            message = f"danhSachMaHoSo: at most {settings.max_batch} codes per poll"
            raise AgencyError(422, "DU_LIEU_KHONG_HOP_LE", message, "danhSachMaHoSo")
        found, unknown = [], []
        for code in dict.fromkeys(poll.danhSachMaHoSo):
            try:
                found.append(office.result(code, with_pdf=False))
            except CaseUnknown:
                unknown.append(code)
        return KetQuaTraCuu(ketQua=found, khongTimThay=unknown)

    @router.get("/phieu/{ma_ho_so}/pdf", response_class=Response)
    async def phieu_pdf(ma_ho_so: DossierCode) -> Response:
        """The issued certificate as a PDF."""
        return Response(office.certificate_pdf(ma_ho_so), media_type="application/pdf")

    @router.post("/thuhoi/{ma_ho_so}", responses=created)
    async def thu_hoi(decision: ThuHoiRequest, ma_ho_so: DossierCode) -> JSONResponse:
        """Revoke an issued certificate by a decision; the same decision again changes nothing."""
        return dossier_answer(*office.revoke(ma_ho_so, decision))

    return router
