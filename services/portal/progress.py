"""Dossiers the portal has sent and their progress (`CapNhatTienDoHoSoMC`), with the allowed transitions.

1 new · 2 accepted · 3 not accepted · 4 processing · 5 supplement requested
6 financial obligation requested · 7 withdrawn · 8 stopped · 9 processed · 10 result returned
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from services.dossier_status import STATUS_NAMES
from services.portal.dossiers import TIME_FORMAT, HoSoMC, PortalTime

# Which states may follow which; 3, 7, 8 and 10 end a dossier. 4 → 4 carries further progress notes,
# 6 → 6 a new payment link after a failed payment, 9 → 9 a later note on the result (e.g. at the counter).
NEXT_STATES: dict[int, frozenset[int]] = {
    1: frozenset({2, 3, 4, 5, 6, 7}),
    2: frozenset({4, 5, 6, 7, 8, 9}),
    3: frozenset(),
    4: frozenset({4, 5, 6, 7, 8, 9}),
    5: frozenset({2, 4, 7, 8}),
    6: frozenset({4, 6, 7, 8, 9}),
    7: frozenset(),
    8: frozenset(),
    9: frozenset({9, 10}),
    10: frozenset(),
}


DossierNumber = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def real_time(value: str | None) -> str | None:
    """`value` unchanged when it is a real time in the portal's format; ValueError naming the bad part."""
    if value is not None:
        datetime.strptime(value, TIME_FORMAT)
    return value


class HoSoNgoai(HoSoMC):
    """A dossier filed from outside the portal's own sender: its number and times are checked as the
    progress it will take is (the portal's own dossiers are generated, so they are right by construction)."""

    MaHoSo: DossierNumber

    _real_times = field_validator("NgayTiepNhan", "NgayHenTra")(real_time)


class CapNhatTienDo(BaseModel):
    """A progress update from the province (`CapNhatTienDoHoSoMC`)."""

    model_config = ConfigDict(extra="forbid")

    MaHoSo: DossierNumber
    TrangThaiHoSo: int = Field(ge=1, le=10, description="1-10, see STATUS_NAMES")
    NgayCapNhat: PortalTime
    NoiDung: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    NguoiXuLy: str | None = None
    DonViXuLy: str | None = None
    NgayHenTra: PortalTime | None = Field(None, description="a new appointment, e.g. after a supplement")
    YeuCauBoSung: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] | None = Field(
        None, max_length=20, description="the papers asked for (with status 5)"
    )
    UrlThanhToan: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2000)] | None = Field(
        None, description="with status 6: the payment platform's page where the citizen pays the fee"
    )

    @model_validator(mode="after")
    def _payment_link_asks_for_the_fee(self) -> CapNhatTienDo:
        if self.UrlThanhToan is not None and self.TrangThaiHoSo != 6:
            raise ValueError("UrlThanhToan: a payment link goes with status 6 (the fee requested) only")
        return self

    _real_times = field_validator("NgayCapNhat", "NgayHenTra")(real_time)


class TienDo(CapNhatTienDo):
    """One entry of a dossier's history, with the status's name."""

    TenTrangThai: str


class HoSoTraCuu(BaseModel):
    """The answer of `TraCuuHoSo`: the dossier as sent, its current state, appointment and history."""

    HoSo: HoSoMC
    TrangThaiHoSo: int
    TenTrangThai: str
    NgayHenTra: str | None = Field(None, description="the appointment in force: the latest one reported")
    LichSuXuLy: list[TienDo]


class ProgressRejected(Exception):
    """An update the portal refuses; `status` is the HTTP status, `field` the field at fault, `code` the
    portal's error code when it is not the status's usual one."""

    def __init__(self, status: int, field: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.code = code


class DossierBook:
    """The dossiers sent by this portal and their progress; beyond `capacity` the oldest are forgotten."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._dossiers: dict[str, HoSoMC] = {}
        self._history: dict[str, list[TienDo]] = {}

    def __len__(self) -> int:
        return len(self._dossiers)

    def add(self, dossier: HoSoMC) -> None:
        """Remember a dossier about to be sent; its history starts with its own state."""
        self._dossiers[dossier.MaHoSo] = dossier
        first = TienDo(
            MaHoSo=dossier.MaHoSo,
            TrangThaiHoSo=dossier.TrangThaiHoSo,
            NgayCapNhat=dossier.NgayTiepNhan,
            NoiDung="Hồ sơ được tiếp nhận trên Cổng Dịch vụ công quốc gia",
            TenTrangThai=STATUS_NAMES[dossier.TrangThaiHoSo],
        )
        self._history[dossier.MaHoSo] = [first]
        while len(self._dossiers) > self.capacity:
            # dicts keep insertion order: the first key is the oldest dossier.
            oldest = next(iter(self._dossiers))
            del self._dossiers[oldest], self._history[oldest]

    def add_new(self, dossier: HoSoMC) -> bool:
        """Remember a dossier filed from outside the portal's own sender (a load test playing its sending
        side); True when new. The same dossier again changes nothing; another under a known number is
        refused (409) and changes nothing either: a known dossier's history is never started again."""
        known = self._dossiers.get(dossier.MaHoSo)
        if known is None:
            self.add(dossier)
            return True
        if known != dossier:
            message = f"dossier {dossier.MaHoSo} was already filed with other content"
            raise ProgressRejected(409, "MaHoSo", message, "TRUNG_MA_HO_SO")
        return False

    def apply(self, update: CapNhatTienDo) -> tuple[TienDo, bool]:
        """Record an update; returns (entry, replayed). A repeat of the last update is accepted once."""
        history = self._history.get(update.MaHoSo)
        if history is None:
            raise ProgressRejected(404, "MaHoSo", f"no dossier {update.MaHoSo!r} was sent by this portal")
        entry = TienDo(**update.model_dump(), TenTrangThai=STATUS_NAMES[update.TrangThaiHoSo])
        last = history[-1]
        if entry == last:
            return last, True
        allowed = NEXT_STATES[last.TrangThaiHoSo]
        if update.TrangThaiHoSo not in allowed:
            after = f"{last.TrangThaiHoSo} ({last.TenTrangThai})"
            if not allowed:
                message = f"dossier {update.MaHoSo} is closed at state {after}; no further update is possible"
            else:
                nexts = ", ".join(str(s) for s in sorted(allowed))
                message = f"state {update.TrangThaiHoSo} cannot follow {after}; allowed next: {nexts}"
            raise ProgressRejected(409, "TrangThaiHoSo", message)
        if update.NgayCapNhat < last.NgayCapNhat:  # fixed-width yyyyMMddHHmmss sorts as text
            raise ProgressRejected(
                422,
                "NgayCapNhat",
                f"{update.NgayCapNhat} is earlier than the last update ({last.NgayCapNhat})",
            )
        history.append(entry)
        return entry, False

    def lookup(self, ma_ho_so: str) -> HoSoTraCuu:
        """A dossier and its history; ProgressRejected (404) when unknown."""
        dossier = self._dossiers.get(ma_ho_so)
        if dossier is None:
            raise ProgressRejected(404, "MaHoSo", f"no dossier {ma_ho_so!r} was sent by this portal")
        history = self._history[ma_ho_so]
        due = next((entry.NgayHenTra for entry in reversed(history) if entry.NgayHenTra), dossier.NgayHenTra)
        return HoSoTraCuu(
            HoSo=dossier,
            TrangThaiHoSo=history[-1].TrangThaiHoSo,
            TenTrangThai=history[-1].TenTrangThai,
            NgayHenTra=due,
            LichSuXuLy=list(history),
        )
