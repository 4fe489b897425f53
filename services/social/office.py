"""The social-protection office's rule for the funeral allowance: the deceased must have received a
monthly social allowance (aged `pension_age` or more, or a seeded share of severely disabled people);
the allowance is 20 times the social-assistance standard (Decree 20/2021, art. 11).

Refusals (maLoi):
    KHONG_TIM_THAY_CONG_DAN   404  no such person in the population database
    THONG_TIN_KHONG_KHOP      422  a name or date differs from the population's record
    KHONG_THUOC_DOI_TUONG     422  the deceased received no monthly social allowance
    DA_HO_TRO_MAI_TANG        409  the allowance was already decided (another dossier)
    DU_LIEU_KHONG_HOP_LE      422  a field breaks its format
    TRUNG_MA_HO_SO            409  maHoSo already used for a different request
    HO_SO_KHONG_TON_TAI       404  no dossier with this maHoSo
"""

from __future__ import annotations

import random
from typing import Any

from services.casework import AgencyError, Case, age_on, plan_steps
from services.casework.directory import PeopleDirectory
from services.casework.office import CaseDesk, history
from services.casework.timeline import as_datetime
from services.citizens import Citizen
from services.clock import SimulatedClock
from services.social.models import (
    BENEFICIARY_GROUPS,
    DA_CHI_TRA,
    DANG_GIAI_QUYET,
    STATUS_NAMES,
    TIEP_NHAN,
    BuocXuLy,
    Effects,
    HoSoMaiTang,
    HoTroMaiTangRequest,
    QuyetDinhHoTro,
)
from services.social.settings import SocialSettings

INVALID, NOT_FOUND, MISMATCH = "DU_LIEU_KHONG_HOP_LE", "KHONG_TIM_THAY_CONG_DAN", "THONG_TIN_KHONG_KHOP"
FUNERAL_MULTIPLE = 20


class SocialProtectionOffice(CaseDesk[HoTroMaiTangRequest]):
    """Funeral-allowance dossiers by maHoSo, and who was granted one."""

    def __init__(self, people: PeopleDirectory, settings: SocialSettings, clock: SimulatedClock) -> None:
        super().__init__(
            people, clock, settings.max_dossiers, invalid=INVALID, not_found=NOT_FOUND, mismatch=MISMATCH
        )
        self.settings = settings
        self.effects = Effects()
        self._granted: dict[str, str] = {}  # deceased's ID number → maHoSo

    def group_of(self, person: Citizen, age: int) -> str | None:
        """The beneficiary group the person belonged to at `age`, or None."""
        if age >= self.settings.pension_age:
            return "NCT80"
        rng = random.Random(f"{self.settings.seed}:btxh:{person.id_number}")
        return "KTNANG" if rng.random() < self.settings.disability_share else None

    def claim_funeral_allowance(self, req: HoTroMaiTangRequest) -> tuple[HoSoMaiTang, bool]:
        """Take in a funeral-allowance claim; returns (dossier, replayed)."""
        case, replayed = self.book.receive(req.maHoSo, req.model_dump_json(), lambda: self._open(req))
        return self.answer(case), replayed

    def dossier(self, code: str) -> HoSoMaiTang:
        """A dossier as of the simulated now; CaseUnknown when there is none."""
        return self.answer(self.book.get(code))

    def _open(self, req: HoTroMaiTangRequest) -> Case[HoTroMaiTangRequest]:
        wire = req.nguoiMat
        deceased = self.people.find(
            wire.soDinhDanh, wire.hoTen, id_field="nguoiMat.soDinhDanh", name_field="nguoiMat.hoTen"
        )
        self.people.check_death(deceased, wire.ngayMat, self.clock.now_datetime().date(), "nguoiMat.ngayMat")
        payee = req.nguoiLoMaiTang
        receiver = self.people.find(
            payee.soDinhDanh,
            payee.hoTen,
            id_field="nguoiLoMaiTang.soDinhDanh",
            name_field="nguoiLoMaiTang.hoTen",
        )
        group = self.group_of(deceased, age_on(deceased.birth_date, wire.ngayMat))
        if group is None:
            message = (
                f"{deceased.id_number} received no monthly social allowance: no funeral allowance is due"
            )
            raise AgencyError(422, "KHONG_THUOC_DOI_TUONG", message, "nguoiMat.soDinhDanh")
        earlier = self._granted.get(deceased.id_number)
        if earlier is not None:
            message = f"the funeral allowance of {deceased.id_number} was already decided (dossier {earlier})"
            raise AgencyError(409, "DA_HO_TRO_MAI_TANG", message, "nguoiMat.soDinhDanh")
        now = self.clock.now()
        due = self.calendar.add_working_days(as_datetime(now), self.settings.funeral_days)
        rng = random.Random(f"{self.settings.seed}:{req.maHoSo}")
        middle = [
            (TIEP_NHAN, "Tiếp nhận hồ sơ hỗ trợ chi phí mai táng"),
            (DANG_GIAI_QUYET, "Thẩm định hồ sơ"),
        ]
        final = (DA_CHI_TRA, "Chủ tịch UBND cấp xã quyết định hỗ trợ chi phí mai táng")
        steps = plan_steps(rng, self.calendar, now, due, middle, final, self.settings.late_rate)
        serial = self.book.next_serial()
        decision = QuyetDinhHoTro(
            soQuyetDinh=f"{serial}/QĐ-UBND",
            ngayQuyetDinh=as_datetime(steps[-1].at).date(),
            doiTuong=group,
            tenDoiTuong=BENEFICIARY_GROUPS[group],
            soTien=FUNERAL_MULTIPLE * self.settings.assistance_standard,
            nguoiNhan=receiver.full_name,
        )
        case = Case(
            code=req.maHoSo,
            system_id=f"BTXH.MT.{self.settings.province_code[1:]}.{serial:08d}",
            wire=req,
            received_at=now,
            due=due,
            steps=steps,
            result={"quyetDinh": decision.model_dump()},
        )
        self._granted[deceased.id_number] = req.maHoSo
        self.effects.ho_tro_mai_tang += 1
        return case

    def answer(self, case: Case[HoTroMaiTangRequest]) -> HoSoMaiTang:
        """The dossier as of the simulated now: history so far, the decision once made."""
        now = self.clock.now()
        reached = case.reached(now)
        done = case.finished(now)
        result: dict[str, Any] = case.result if done else {}
        return HoSoMaiTang(
            maHoSo=case.code,
            maHoSoBtxh=case.system_id,
            trangThai=reached[-1].status,
            tenTrangThai=STATUS_NAMES[reached[-1].status],
            ngayTiepNhan=as_datetime(case.received_at),
            ngayHenTra=case.due,
            ngayHoanThanh=as_datetime(case.steps[-1].at) if done else None,
            lichSu=history(reached, STATUS_NAMES, BuocXuLy),
            quyetDinh=result.get("quyetDinh"),
        )
