"""Statuses of interconnected-service dossiers (dịch vụ công liên thông, Decree 63/2024): the birth and
death bundles citizens file on the portal or VNeID, whose progress the province pushes back.

trangThai: 1 received · 2 supplement requested · 3 accepted · 7 sent to the registry · 4 registry result
           5 result returned · 6 refused

    POST /api/lienthong/DongBoTrangThai  {maHoSo, trangThai, thoiGian (yyyyMMddHHmmss), noiDung, ...}
    GET  /api/lienthong/TraCuu?maHoSo=…

The first push of a dossier must be trangThai 1. A push repeating the dossier's latest status is answered
409 `DA_TON_TAI` ("already exists"), as the real software does: a caller treats it as done.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.portal.dossiers import TIME_FORMAT, PortalTime
from services.portal.progress import ProgressRejected

ALREADY_EXISTS = "DA_TON_TAI"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
STATUS_NAMES = {
    1: "Đã tiếp nhận",
    2: "Yêu cầu bổ sung hồ sơ",
    3: "Hồ sơ hợp lệ, đã tiếp nhận xử lý",
    7: "Đã chuyển cơ quan đăng ký",
    4: "Đã có kết quả của cơ quan đăng ký",
    5: "Đã trả kết quả",
    6: "Từ chối tiếp nhận / giải quyết",
}
NEXT_STATUSES: dict[int, frozenset[int]] = {
    1: frozenset({2, 3, 6}),
    2: frozenset({3, 6}),
    3: frozenset({7, 6}),
    7: frozenset({4, 6}),
    4: frozenset({5, 7}),  # a result from one registry, the next leg sent on
    5: frozenset(),
    6: frozenset(),
}


class TrangThaiLienThong(BaseModel):
    """One status push of an interconnected dossier."""

    model_config = ConfigDict(extra="forbid")

    maHoSo: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    maThuTucLienThong: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="the bundle, e.g. KS-TT-BHYT (birth, residence, health insurance)"
    )
    trangThai: int = Field(description="1-7, see STATUS_NAMES")
    thoiGian: PortalTime
    noiDung: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    coQuanXuLy: Annotated[str, StringConstraints(max_length=255)] | None = None
    ngayHenTra: PortalTime | None = None

    @field_validator("trangThai")
    @classmethod
    def _known_status(cls, value: int) -> int:
        if value not in STATUS_NAMES:
            raise ValueError(f"must be one of {sorted(STATUS_NAMES)}")
        return value

    @field_validator("thoiGian", "ngayHenTra")
    @classmethod
    def _real_time(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.strptime(value, TIME_FORMAT)
        return value


class BuocLienThong(TrangThaiLienThong):
    """A status in a dossier's history, with its name and when the portal received it (its own clock,
    Vietnam time; `thoiGian` is the province's time of the change)."""

    tenTrangThai: str
    thoiGianNhan: PortalTime


class HoSoLienThong(BaseModel):
    """An interconnected dossier: its current status and history."""

    maHoSo: str
    trangThai: int
    tenTrangThai: str
    ngayHenTra: str | None
    lichSu: list[BuocLienThong]


class KetQuaDongBo(BaseModel):
    """The answer to an accepted push."""

    error_code: str = "0"
    message: str
    TrangThai: BuocLienThong


class InterconnectedBook:
    """Interconnected dossiers by maHoSo; beyond `capacity` the oldest are forgotten."""

    def __init__(self, capacity: int, now: Callable[[], datetime] = lambda: datetime.now(VIETNAM)) -> None:
        self.capacity = capacity
        self._now = now
        self._history: OrderedDict[str, list[BuocLienThong]] = OrderedDict()

    def push(self, update: TrangThaiLienThong) -> BuocLienThong:
        """Record a status; ProgressRejected for a repeat (DA_TON_TAI), a bad transition or order."""
        entry = BuocLienThong(
            **update.model_dump(),
            tenTrangThai=STATUS_NAMES[update.trangThai],
            thoiGianNhan=self._now().strftime(TIME_FORMAT),
        )
        history = self._history.get(update.maHoSo)
        if history is None:
            if update.trangThai != 1:
                message = f"dossier {update.maHoSo} is unknown: its first status must be 1 (received)"
                raise ProgressRejected(404, "maHoSo", message)
            self._history[update.maHoSo] = [entry]
            while len(self._history) > self.capacity:
                self._history.popitem(last=False)
            return entry
        last = history[-1]
        if update.trangThai == last.trangThai:
            message = f"status {update.trangThai} of {update.maHoSo} already exists"
            raise ProgressRejected(409, "trangThai", message, ALREADY_EXISTS)
        if update.trangThai not in NEXT_STATUSES[last.trangThai]:
            allowed = ", ".join(str(s) for s in sorted(NEXT_STATUSES[last.trangThai])) or "none (closed)"
            message = f"status {update.trangThai} cannot follow {last.trangThai}; allowed next: {allowed}"
            raise ProgressRejected(409, "trangThai", message)
        if update.thoiGian < last.thoiGian:  # fixed-width yyyyMMddHHmmss sorts as text
            raise ProgressRejected(422, "thoiGian", f"{update.thoiGian} is earlier than {last.thoiGian}")
        history.append(entry)
        return entry

    def lookup(self, number: str) -> HoSoLienThong:
        """A dossier and its history; ProgressRejected (404) when unknown."""
        history = self._history.get(number)
        if history is None:
            raise ProgressRejected(404, "maHoSo", f"no interconnected dossier {number!r}")
        due = next((step.ngayHenTra for step in reversed(history) if step.ngayHenTra), None)
        last = history[-1]
        return HoSoLienThong(
            maHoSo=number, trangThai=last.trangThai, tenTrangThai=last.tenTrangThai, ngayHenTra=due,
            lichSu=list(history),
        )  # fmt: skip


def interconnected_router(book: InterconnectedBook) -> APIRouter:
    """The portal's routes for interconnected dossiers."""
    router = APIRouter(prefix="/api/lienthong", tags=["liên thông"])

    @router.post("/DongBoTrangThai")
    async def dong_bo_trang_thai(update: TrangThaiLienThong) -> KetQuaDongBo:
        """Record a status of an interconnected dossier; a repeat is answered 409 DA_TON_TAI."""
        return KetQuaDongBo(message="Đồng bộ trạng thái thành công", TrangThai=book.push(update))

    @router.get("/TraCuu")
    async def tra_cuu(maHoSo: Annotated[str, Query(min_length=1, max_length=64)]) -> HoSoLienThong:
        """An interconnected dossier's status and history."""
        return book.lookup(maHoSo)

    return router
