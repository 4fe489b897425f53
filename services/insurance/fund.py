"""The social-insurance fund's rules: a card for a child under six, the survivor benefit of a deceased
insured person; each dossier runs its course on the simulated clock to its appointment date.

A person's insurance record is derived from the seed and their ID number: an adult is insured with
probability `insured_share`, for a number of years up to their working life, with an average salary.

Refusals (maLoi):
    KHONG_TIM_THAY_NHAN_THAN  404  no such person in the population database
    SAI_THONG_TIN_NHAN_THAN   422  a name, date or sex differs from the population's record
    NGOAI_DOI_TUONG           422  the child is six or over (no TE card)
    DA_CO_THE_BHYT            409  the child already has a card (another dossier)
    KHONG_CO_QUA_TRINH_DONG   422  the deceased never contributed
    SAI_MA_SO_BHXH            422  maSoBhxh is not the deceased's
    DA_GIAI_QUYET_CHE_DO      409  the survivor benefit was already settled (another dossier)
    DU_LIEU_KHONG_HOP_LE      422  a field breaks its format
    TRUNG_MA_HO_SO            409  maHoSo already used for a different request
    HO_SO_KHONG_TON_TAI       404  no dossier with this maHoSo
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.casework import (
    AgencyError,
    Case,
    age_on,
    plan_steps,
    sixth_birthday_eve,
)
from services.casework.directory import PeopleDirectory
from services.casework.office import CaseDesk, history
from services.casework.timeline import as_datetime
from services.citizens import Citizen
from services.clock import SimulatedClock
from services.insurance.models import (
    CO_KET_QUA,
    DANG_GIAI_QUYET,
    STATUS_NAMES,
    TIEP_NHAN,
    BuocXuLy,
    CapTheTreEmRequest,
    CheDoTuTuat,
    Effects,
    HoSoBhxh,
    NoiKcb,
    TheBhyt,
    TuTuatRequest,
)
from services.insurance.settings import InsuranceSettings

INVALID, NOT_FOUND, MISMATCH = "DU_LIEU_KHONG_HOP_LE", "KHONG_TIM_THAY_NHAN_THAN", "SAI_THONG_TIN_NHAN_THAN"
Request = CapTheTreEmRequest | TuTuatRequest
MONTHLY_AFTER_YEARS = 15  # contributions that open a monthly survivor allowance
# Initial-registration clinics for children in Hải Phòng (codes province + 3 digits).
CHILD_CLINICS = (
    ("31011", "Bệnh viện Trẻ em Hải Phòng"),
    ("31002", "Bệnh viện Hữu nghị Việt Tiệp"),
    ("31014", "Bệnh viện Đa khoa quốc tế Hải Phòng"),
)


@dataclass(frozen=True)
class InsuranceRecord:
    """A person's contribution record as the fund derives it."""

    number: str  # mã số BHXH: province (2 digits) and 8 more
    years: int
    average_salary: int


class SocialInsuranceFund(CaseDesk[Request]):
    """Insurance dossiers by maHoSo, cards by child, settled survivor benefits by deceased."""

    def __init__(self, people: PeopleDirectory, settings: InsuranceSettings, clock: SimulatedClock) -> None:
        super().__init__(
            people, clock, settings.max_dossiers, invalid=INVALID, not_found=NOT_FOUND, mismatch=MISMATCH
        )
        self.settings = settings
        self.effects = Effects()
        self._cards: dict[str, str] = {}  # child's ID number → maHoSo
        self._survivors: dict[str, str] = {}  # deceased's ID number → maHoSo

    def record_of(self, person: Citizen, on: date) -> InsuranceRecord | None:
        """The person's contribution record as of `on`, or None when they never contributed."""
        rng = random.Random(f"{self.settings.seed}:bhxh:{person.id_number}")
        number = f"{self.settings.province_code[1:]}{rng.randrange(10**8):08d}"  # as _number_of draws it
        working_years = age_on(person.birth_date, on) - 18
        if working_years < 1 or rng.random() >= self.settings.insured_share:
            return None
        return InsuranceRecord(number, rng.randint(1, min(35, working_years)), rng.randint(5, 18) * 1_000_000)

    def issue_child_card(self, req: CapTheTreEmRequest) -> tuple[HoSoBhxh, bool]:
        """Take in a child's card request; returns (dossier, replayed)."""
        case, replayed = self.book.receive(req.maHoSo, req.model_dump_json(), lambda: self._open_card(req))
        return self.answer(case), replayed

    def settle_survivor_benefit(self, req: TuTuatRequest) -> tuple[HoSoBhxh, bool]:
        """Take in a survivor-benefit claim; returns (dossier, replayed)."""
        case, replayed = self.book.receive(
            req.maHoSo, req.model_dump_json(), lambda: self._open_survivor(req)
        )
        return self.answer(case), replayed

    def dossier(self, code: str) -> HoSoBhxh:
        """A dossier as of the simulated now; CaseUnknown when there is none."""
        return self.answer(self.book.get(code))

    def card_of(self, id_number: str) -> TheBhyt | None:
        """The child's card once issued, else None."""
        code = self._cards.get(id_number)
        if code is None:
            return None
        case = self.book.get(code)
        return TheBhyt.model_validate(case.result["theBhyt"]) if case.finished(self.clock.now()) else None

    # ---- the rules -----------------------------------------------------------------------------------

    def _open_card(self, req: CapTheTreEmRequest) -> Case[Request]:
        child = self.people.find(req.soDinhDanh, req.hoTen, id_field="soDinhDanh", name_field="hoTen")
        self.people.check_birth(child, req.ngaySinh, "ngaySinh")
        if {"M": 1, "F": 2}[child.sex] != req.gioiTinh:
            raise AgencyError(422, MISMATCH, "gioiTinh: differs from the population's record", "gioiTinh")
        self.people.find(
            req.nguoiGiamHo.soDinhDanh,
            req.nguoiGiamHo.hoTen,
            id_field="nguoiGiamHo.soDinhDanh",
            name_field="nguoiGiamHo.hoTen",
        )
        today = self.clock.now_datetime().date()
        last_day = sixth_birthday_eve(child.birth_date)
        if today > last_day:
            raise AgencyError(
                422,
                "NGOAI_DOI_TUONG",
                f"ngaySinh: the child turned six on {last_day.fromordinal(last_day.toordinal() + 1)}; "
                "the TE card is for children under six",
                "ngaySinh",
            )
        earlier = self._cards.get(child.id_number)
        if earlier is not None:
            message = f"{child.id_number} already has a health-insurance card (dossier {earlier})"
            raise AgencyError(409, "DA_CO_THE_BHYT", message, "soDinhDanh")
        rng = random.Random(f"{self.settings.seed}:{req.maHoSo}")
        number = self._number_of(child)
        clinic = rng.choice(CHILD_CLINICS)
        if req.maCskcb is not None:
            clinic = next(
                (c for c in CHILD_CLINICS if c[0] == req.maCskcb), (req.maCskcb, f"Cơ sở KCB {req.maCskcb}")
            )
        card = TheBhyt(
            soTheBhyt=f"TE1{self.settings.province_code[1:]}{number}",
            maSoBhxh=number,
            hoTen=child.full_name,
            ngaySinh=child.birth_date,
            gioiTinh=req.gioiTinh,
            maDoiTuong="TE",
            mucHuong=1,
            noiDangKyKcbBanDau=NoiKcb(maCskcb=clinic[0], tenCskcb=clinic[1]),
            giaTriTu=child.birth_date,
            giaTriDen=last_day,
        )
        case = self._open(req, rng, "TE", self.settings.card_days, "Cấp thẻ BHYT cho trẻ em dưới 6 tuổi")
        case.result = {"theBhyt": card.model_dump()}
        self._cards[child.id_number] = req.maHoSo
        self.effects.the_bhyt_tre_em += 1
        return case

    def _open_survivor(self, req: TuTuatRequest) -> Case[Request]:
        wire = req.nguoiChet
        deceased = self.people.find(
            wire.soDinhDanh, wire.hoTen, id_field="nguoiChet.soDinhDanh", name_field="nguoiChet.hoTen"
        )
        self.people.check_death(
            deceased, wire.ngayChet, self.clock.now_datetime().date(), "nguoiChet.ngayChet"
        )
        receiver = self.people.find(
            req.nguoiNhan.soDinhDanh,
            req.nguoiNhan.hoTen,
            id_field="nguoiNhan.soDinhDanh",
            name_field="nguoiNhan.hoTen",
        )
        record = self.record_of(deceased, wire.ngayChet)
        if record is None:
            message = f"{deceased.id_number} has no social-insurance contribution record"
            raise AgencyError(422, "KHONG_CO_QUA_TRINH_DONG", message, "nguoiChet.soDinhDanh")
        if wire.maSoBhxh is not None and wire.maSoBhxh != record.number:
            message = f"nguoiChet.maSoBhxh: {wire.maSoBhxh} is not the number of {deceased.id_number}"
            raise AgencyError(422, "SAI_MA_SO_BHXH", message, "nguoiChet.maSoBhxh")
        if req.hinhThucNhan == 2 and (req.soTaiKhoan is None or req.nganHang is None):
            raise AgencyError(
                422, INVALID, "soTaiKhoan: a bank payment needs soTaiKhoan and nganHang", "soTaiKhoan"
            )
        earlier = self._survivors.get(deceased.id_number)
        if earlier is not None:
            message = f"the survivor benefit of {deceased.id_number} was already settled (dossier {earlier})"
            raise AgencyError(409, "DA_GIAI_QUYET_CHE_DO", message, "nguoiChet.soDinhDanh")
        rng = random.Random(f"{self.settings.seed}:{req.maHoSo}")
        month = wire.ngayChet.month % 12 + 1
        start = f"{month:02d}/{wire.ngayChet.year + (wire.ngayChet.month == 12)}"
        monthly = record.years >= MONTHLY_AFTER_YEARS
        benefit = CheDoTuTuat(
            maSoBhxh=record.number,
            soNamDong=record.years,
            loaiTroCap=1 if monthly else 2,
            mucHuongThang=self.settings.base_salary // 2 if monthly else None,
            soTienMotLan=None if monthly else max(3, round(record.years * 1.5)) * record.average_salary,
            thangBatDau=start,
            nguoiNhan=receiver.full_name,
        )
        case = self._open(req, rng, "TT", self.settings.survivor_days, "Giải quyết chế độ tử tuất")
        case.result = {"cheDoTuTuat": benefit.model_dump()}
        self._survivors[deceased.id_number] = req.maHoSo
        self.effects.tu_tuat += 1
        return case

    def _number_of(self, person: Citizen) -> str:
        rng = random.Random(f"{self.settings.seed}:bhxh:{person.id_number}")
        return f"{self.settings.province_code[1:]}{rng.randrange(10**8):08d}"

    def _open(self, req: Request, rng: random.Random, prefix: str, days: int, what: str) -> Case[Request]:
        now = self.clock.now()
        due = self.calendar.add_working_days(as_datetime(now), days)
        middle = [(TIEP_NHAN, f"Tiếp nhận hồ sơ: {what}"), (DANG_GIAI_QUYET, "Thẩm định hồ sơ")]
        final = (CO_KET_QUA, f"Đã có kết quả: {what}")
        steps = plan_steps(rng, self.calendar, now, due, middle, final, self.settings.late_rate)
        system_id = f"BHXH.{prefix}.{self.settings.province_code[1:]}.{self.book.next_serial():08d}"
        return Case(code=req.maHoSo, system_id=system_id, wire=req, received_at=now, due=due, steps=steps)

    def answer(self, case: Case[Request]) -> HoSoBhxh:
        """The dossier as of the simulated now: history so far, the card or benefit once done."""
        now = self.clock.now()
        reached = case.reached(now)
        done = case.finished(now)
        result: dict[str, Any] = case.result if done else {}
        return HoSoBhxh(
            maHoSo=case.code,
            maHoSoBhxh=case.system_id,
            loaiHoSo="CAP_THE_BHYT_TE" if isinstance(case.wire, CapTheTreEmRequest) else "GIAI_QUYET_TU_TUAT",
            trangThai=reached[-1].status,
            tenTrangThai=STATUS_NAMES[reached[-1].status],
            ngayTiepNhan=as_datetime(case.received_at),
            ngayHenTra=case.due,
            ngayHoanThanh=as_datetime(case.steps[-1].at) if done else None,
            lichSu=history(reached, STATUS_NAMES, BuocXuLy),
            theBhyt=result.get("theBhyt"),
            cheDoTuTuat=result.get("cheDoTuTuat"),
        )
