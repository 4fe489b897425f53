"""The population database's feed of recorded deaths (biến động khai tử, REST/JSON beside the SOAP
services): read in order after a position, as agencies that act on a death (the residence database's
removal, from 2026-03-15) must.

    canonical {after: 0, limit: 100}  →  GET /api/v1/biendong/khaitu?sau=0&soLuong=100
    {BienDong: [{ThuTu, SoDinhDanh, HoVaTen, NgayMat yyyymmdd, ThoiGianGhiNhan yyyyMMddHHmmss}], ThuTuCuoi}
    →  {deaths: [{position, id_number, full_name, death_date, recorded_at (ISO 8601, +07:00)}],
        last_position}
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from adapters.population.models import IdNumber

FEED_PATH = "/api/v1/biendong/khaitu"
VIETNAM = timezone(timedelta(hours=7))  # the feed's times are local
MAX_PAGE = 1000


class _Canonical(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeathFeedQuery(_Canonical):
    """The deaths recorded after position `after` (the last one already handled), at most `limit`."""

    after: Annotated[int, Field(ge=0, le=10**12)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 100


class RecordedDeath(_Canonical):
    """One death the population database recorded; `position` names it for ever."""

    position: int
    id_number: IdNumber
    full_name: str
    death_date: date
    recorded_at: AwareDatetime = Field(description="when the database recorded the death")


class DeathFeedPage(_Canonical):
    """A page of the feed, oldest first; `last_position` is where to read after next."""

    deaths: list[RecordedDeath]
    last_position: int


class _WireDeath(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ThuTu: Annotated[int, Field(ge=1)]
    SoDinhDanh: str
    HoVaTen: str
    NgayMat: date
    ThoiGianGhiNhan: AwareDatetime

    @field_validator("NgayMat", mode="before")
    @classmethod
    def _yyyymmdd(cls, value: object) -> object:
        return datetime.strptime(value, "%Y%m%d").date() if isinstance(value, str) else value

    @field_validator("ThoiGianGhiNhan", mode="before")
    @classmethod
    def _vietnam_time(cls, value: object) -> object:
        if isinstance(value, str):  # yyyyMMddHHmmss, Vietnam time
            return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)
        return value


class WireFeedPage(BaseModel):
    """DanhSachBienDong as the database answers it."""

    model_config = ConfigDict(extra="ignore")

    BienDong: list[_WireDeath]
    ThuTuCuoi: Annotated[int, Field(ge=0)]


def feed_params(query: DeathFeedQuery) -> dict[str, int]:
    """The feed's query string."""
    return {"sau": query.after, "soLuong": query.limit}


def to_page(wire: WireFeedPage) -> DeathFeedPage:
    """A page in canonical form."""
    return DeathFeedPage(
        deaths=[
            RecordedDeath(
                position=d.ThuTu,
                id_number=d.SoDinhDanh,
                full_name=d.HoVaTen,
                death_date=d.NgayMat,
                recorded_at=d.ThoiGianGhiNhan,
            )
            for d in wire.BienDong
        ],
        last_position=wire.ThuTuCuoi,
    )
