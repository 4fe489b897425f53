"""The dossiers the system holds: idempotent on maHoSo, bounded (the oldest are forgotten first)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from services.clock import VIETNAM_TIME
from services.dossier_status import STATUS_NAMES
from services.motcua.decisions import plan_decision
from services.motcua.models import BuocXuLy, HoSoMotCua, HoSoTiepNhan
from services.motcua.processing import Step, plan_processing
from vn_calendar import WorkingCalendar


class DossierConflict(Exception):
    """A maHoSo already received with different content."""


class DossierUnknown(LookupError):
    """No dossier with this maHoSo (never received, or forgotten)."""


@dataclass
class Dossier:
    """A received dossier, its planned steps, and how many of them were reported (the first is not)."""

    wire: HoSoTiepNhan
    system_id: str
    received_at: float
    due: datetime
    steps: tuple[Step, ...]
    reported: int = 1

    @property
    def reports_progress(self) -> bool:
        """Whether the system reports this dossier's progress itself (not when a caller handed it over
        for decision: that caller reports)."""
        return self.wire.trangThaiTiepNhan == 1

    def record(self, now: float) -> HoSoMotCua:
        """The dossier as of simulated time `now`."""
        done = [step for step in self.steps if step.at <= now] or [self.steps[0]]
        history = [
            BuocXuLy(
                trangThai=step.status,
                tenTrangThai=STATUS_NAMES[step.status],
                thoiDiem=as_datetime(step.at),
                noiDung=step.note,
                nguoiXuLy=step.officer,
                donViXuLy=self.wire.donViXuLy,
            )
            for step in done
        ]
        return HoSoMotCua(
            maHoSo=self.wire.maHoSo,
            maHoSoHeThong=self.system_id,
            thoiDiemNhan=as_datetime(self.received_at),
            ngayHenTra=self.due,
            trangThai=done[-1].status,
            tenTrangThai=STATUS_NAMES[done[-1].status],
            lichSu=history,
            hoSo=self.wire,
        )


def as_datetime(at: float) -> datetime:
    """Simulated epoch seconds as a Vietnam-time datetime, to the second."""
    return datetime.fromtimestamp(round(at), VIETNAM_TIME)


class DossierBook:
    """Received dossiers by maHoSo; the same dossier again is a replay, a different one a conflict."""

    def __init__(
        self,
        *,
        capacity: int,
        seed: int,
        province_code: str,
        not_accepted_rate: float,
        supplement_rate: float,
        abandon_rate: float = 0.0,
        refusal_rate: float = 0.0,
        default_working_days: int = 3,
    ) -> None:
        self.capacity = capacity
        self._seed, self._province = seed, province_code
        self._rates = (not_accepted_rate, supplement_rate, abandon_rate)
        self._decision_rates = (refusal_rate, supplement_rate, abandon_rate)
        self._default_days = default_working_days
        self._calendar = WorkingCalendar()
        self._dossiers: OrderedDict[str, Dossier] = OrderedDict()
        self._received = 0

    def __len__(self) -> int:
        return len(self._dossiers)

    def receive(self, wire: HoSoTiepNhan, now: float) -> tuple[Dossier, bool]:
        """Take a dossier in at simulated `now`; returns (dossier, replayed)."""
        known = self._dossiers.get(wire.maHoSo)
        if known is not None:
            if known.wire != wire:
                raise DossierConflict(
                    f"maHoSo {wire.maHoSo!r} was already received ({known.system_id}) with different content"
                )
            return known, True
        # Processing cannot start before the portal received the dossier, whatever the clocks say.
        received_at = max(now, wire.ngayTiepNhan.timestamp())
        self._received += 1
        due = wire.ngayHenTra
        if due is None:  # the system sets the appointment: working days from the reception (15:00 cut-off)
            days = self._default_days if wire.soNgayGiaiQuyet is None else wire.soNgayGiaiQuyet
            due = self._calendar.add_working_days(wire.ngayTiepNhan, days)
        dossier = Dossier(
            wire=wire,
            system_id=f"MC.{self._province}.{self._received:08d}",
            received_at=received_at,
            due=due,
            steps=self._plan(wire, received_at),
        )
        self._dossiers[wire.maHoSo] = dossier
        while len(self._dossiers) > self.capacity:
            self._dossiers.popitem(last=False)
        return dossier, False

    def _plan(self, wire: HoSoTiepNhan, received_at: float) -> tuple[Step, ...]:
        if wire.trangThaiTiepNhan == 4:
            return plan_decision(self._seed, wire.maHoSo, received_at, *self._decision_rates)
        return plan_processing(self._seed, wire.maHoSo, received_at, *self._rates)

    def get(self, number: str) -> Dossier:
        """The dossier with this maHoSo; DossierUnknown otherwise."""
        dossier = self._dossiers.get(number)
        if dossier is None:
            raise DossierUnknown(f"no dossier with maHoSo {number!r}")
        return dossier

    def find(self, number: str) -> Dossier | None:
        """The dossier with this maHoSo, or None."""
        return self._dossiers.get(number)
