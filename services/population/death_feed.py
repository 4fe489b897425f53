"""The deaths the population database has recorded, as a feed other agencies read in order (biến động
khai tử): since 2026-03-15 the residence database must remove a deceased person's registration within one
working day of the population database receiving the death, on this event, not on a request.

    GET /api/v1/biendong/khaitu?sau=0&soLuong=100
    → {"BienDong": [{"ThuTu": 1, "SoDinhDanh": "…", "HoVaTen": "…", "NgayMat": "yyyymmdd"}], "ThuTuCuoi": 1}

A reader keeps the last `ThuTu` it handled and asks for the ones after it (`sau`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.citizens import Population

MAX_PAGE = 1000


class BienDongKhaiTu(BaseModel):
    """One recorded death."""

    ThuTu: int
    SoDinhDanh: str
    HoVaTen: str
    NgayMat: str


class DanhSachBienDong(BaseModel):
    """A page of the feed; `ThuTuCuoi` is the cursor to ask after next (unchanged when nothing is new)."""

    BienDong: list[BienDongKhaiTu]
    ThuTuCuoi: int


def death_feed_router(population: Population) -> APIRouter:
    """GET /api/v1/biendong/khaitu over `population`'s recorded deaths."""
    router = APIRouter(prefix="/api/v1/biendong", tags=["biến động"])

    @router.get("/khaitu")
    async def khai_tu(
        sau: Annotated[int, Query(ge=0, description="the last ThuTu already handled")] = 0,
        soLuong: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> DanhSachBienDong:
        """Deaths recorded after position `sau`, oldest first, at most `soLuong`."""
        page = []
        for position, number, day in population.deaths_after(sau, soLuong):
            person = population.citizen(number)
            name = person.full_name if person is not None else ""
            page.append(
                BienDongKhaiTu(ThuTu=position, SoDinhDanh=number, HoVaTen=name, NgayMat=f"{day:%Y%m%d}")
            )
        return DanhSachBienDong(BienDong=page, ThuTuCuoi=page[-1].ThuTu if page else sau)

    return router
