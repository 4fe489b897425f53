"""The deaths the population database has recorded, as a feed other agencies read in order (biến động
khai tử): since 2026-03-15 the residence database must remove a deceased person's registration within one
working day of the population database receiving the death, on this event, not on a request.

    GET /api/v1/biendong/khaitu?sau=0&soLuong=100
    → {"BienDong": [{"ThuTu": 1, "SoDinhDanh": "…", "HoVaTen": "…", "NgayMat": "yyyymmdd",
                     "ThoiGianGhiNhan": "yyyyMMddHHmmss"}], "ThuTuCuoi": 1}

A reader keeps the last `ThuTu` it handled and asks for the ones after it (`sau`). `ThoiGianGhiNhan` is
when the database recorded the death (Vietnam time, on the mock's clock: `/_control/clock`): the residence
agency's one working day runs from it, however late a reader comes.

The civil registry of another process reports the deaths it registers (the shared population records
them directly when both run in one process):

    POST /api/v1/dinhdanh/khaitu {"MaYeuCau": "<the death dossier's maHoSo>", "SoDinhDanh", "NgayMat"}
    → 201 {"MaKetQua": "00"}; the same again 200 (replay); 422 "03" unknown person, a death before the
    birth or one already recorded under another MaYeuCau.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.citizens import Population
from services.clock import VIETNAM_TIME

MAX_PAGE = 1000


class BienDongKhaiTu(BaseModel):
    """One recorded death."""

    ThuTu: int
    SoDinhDanh: str
    HoVaTen: str
    NgayMat: str
    ThoiGianGhiNhan: str = Field(description="when the death was recorded, yyyyMMddHHmmss (Vietnam time)")


class DanhSachBienDong(BaseModel):
    """A page of the feed; `ThuTuCuoi` is the cursor to ask after next (unchanged when nothing is new)."""

    BienDong: list[BienDongKhaiTu]
    ThuTuCuoi: int


class GhiNhanKhaiTu(BaseModel):
    """A death the civil registry registered, to record."""

    model_config = ConfigDict(extra="forbid")

    MaYeuCau: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{3,63}$")]
    SoDinhDanh: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
    NgayMat: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]


class KetQuaGhiNhan(BaseModel):
    """The answer to a recorded death."""

    MaKetQua: str
    MoTaKetQua: str
    Truong: str | None = None


def death_feed_router(population: Population) -> APIRouter:
    """GET /api/v1/biendong/khaitu over `population`'s recorded deaths, and POST /api/v1/dinhdanh/khaitu
    that records one."""
    router = APIRouter(prefix="/api/v1", tags=["biến động"])
    recorded: dict[str, GhiNhanKhaiTu] = {}

    @router.post("/dinhdanh/khaitu", responses={201: {"model": KetQuaGhiNhan}, 200: {"model": KetQuaGhiNhan}})
    async def ghi_nhan_khai_tu(notice: GhiNhanKhaiTu) -> JSONResponse:
        """Record a death registered at the civil registry; the same notice again changes nothing."""
        known = recorded.get(notice.MaYeuCau)
        if known is not None:
            if known == notice:
                body = KetQuaGhiNhan(MaKetQua="00", MoTaKetQua="Đã ghi nhận trước đó")
                return JSONResponse(
                    body.model_dump(exclude_none=True), headers={"X-Idempotent-Replay": "true"}
                )
            refused = KetQuaGhiNhan(
                MaKetQua="04", MoTaKetQua="MaYeuCau đã dùng cho thông báo khác", Truong="MaYeuCau"
            )
            return JSONResponse(refused.model_dump(), status_code=409)
        try:
            day = datetime.strptime(notice.NgayMat, "%Y%m%d").date()
            population.record_death(notice.SoDinhDanh, day)
        except ValueError as exc:
            field = "NgayMat" if "date" in str(exc) else "SoDinhDanh"
            refused = KetQuaGhiNhan(MaKetQua="03", MoTaKetQua=str(exc), Truong=field)
            return JSONResponse(refused.model_dump(), status_code=422)
        recorded[notice.MaYeuCau] = notice
        body = KetQuaGhiNhan(MaKetQua="00", MoTaKetQua="Đã ghi nhận khai tử")
        return JSONResponse(
            body.model_dump(exclude_none=True), status_code=201, headers={"X-Idempotent-Replay": "false"}
        )

    @router.get("/biendong/khaitu")
    async def khai_tu(
        sau: Annotated[int, Query(ge=0, le=10**12, description="the last ThuTu already handled")] = 0,
        soLuong: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> DanhSachBienDong:
        """Deaths recorded after position `sau`, oldest first, at most `soLuong`."""
        page = []
        for position, number, day, recorded in population.deaths_after(sau, soLuong):
            person = population.citizen(number)
            name = person.full_name if person is not None else ""
            page.append(
                BienDongKhaiTu(
                    ThuTu=position,
                    SoDinhDanh=number,
                    HoVaTen=name,
                    NgayMat=f"{day:%Y%m%d}",
                    ThoiGianGhiNhan=f"{recorded.astimezone(VIETNAM_TIME):%Y%m%d%H%M%S}",
                )
            )
        return DanhSachBienDong(BienDong=page, ThuTuCuoi=page[-1].ThuTu if page else sau)

    return router
