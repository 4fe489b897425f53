"""The residence database's rules: a newborn joins a household, a deceased person is removed; each
dossier runs its course on the simulated clock to its appointment date (2 working days, 5 with
verification, 1 for a removal); the `removal_stall_rate` share of removals never leaves processing.

Refusals (maLoi):
    HO_KHONG_TON_TAI           404  no household with this book number headed by this person
    CONG_DAN_KHONG_TON_TAI     404  no such person in the population database
    THONG_TIN_KHONG_KHOP       422  a name or date differs from the population's record
    KHONG_CUNG_HO_CHA_ME       422  the household is neither parent's
    DA_DANG_KY_THUONG_TRU      409  the child's residence was already registered (another dossier)
    DA_XOA_DANG_KY             409  the person's residence was already removed (another dossier)
    CHUA_GHI_NHAN_KHAI_TU      422  an event-driven removal (nguonYeuCau 2) of someone the population
                                    database records no death of
    DU_LIEU_KHONG_HOP_LE       422  a field breaks its format
    TRUNG_MA_HO_SO             409  maHoSo already used for a different request
    HO_SO_KHONG_TON_TAI        404  no dossier with this maHoSo
"""

from __future__ import annotations

import math
import random
from typing import Any, Literal

from services.casework import (
    AgencyError,
    Case,
    CaseUnknown,
    Step,
    plan_steps,
    same_name,
)
from services.casework.directory import PeopleDirectory
from services.casework.office import CaseDesk, history
from services.casework.timeline import as_datetime
from services.citizens import Citizen
from services.citizens.civil_status import DeceasedCitizen
from services.citizens.households import REFERENCE_DATE
from services.clock import SimulatedClock
from services.residence.models import (
    DANG_XU_LY,
    HOAN_THANH,
    STATUS_NAMES,
    TIEP_NHAN,
    XAC_MINH,
    BuocXuLy,
    CongDanCuTru,
    DangKyThuongTruRequest,
    Effects,
    HoSoCuTru,
    KetQuaCuTru,
    XoaDangKyThuongTruRequest,
)
from services.residence.settings import ResidenceSettings

INVALID, NOT_FOUND, MISMATCH = "DU_LIEU_KHONG_HOP_LE", "CONG_DAN_KHONG_TON_TAI", "THONG_TIN_KHONG_KHOP"
NO_DEATH_RECORDED = "CHUA_GHI_NHAN_KHAI_TU"
HEAD = "CH01"
Request = DangKyThuongTruRequest | XoaDangKyThuongTruRequest


class ResidenceDatabase(CaseDesk[Request]):
    """Residence dossiers by maHoSo, and who was registered or removed by which dossier."""

    def __init__(self, people: PeopleDirectory, settings: ResidenceSettings, clock: SimulatedClock) -> None:
        super().__init__(
            people, clock, settings.max_dossiers, invalid=INVALID, not_found=NOT_FOUND, mismatch=MISMATCH
        )
        self.settings = settings
        self.effects = Effects()
        self._registered: dict[str, str] = {}  # child's ID number → maHoSo
        self._results: dict[str, dict[str, Any]] = {}  # child's ID number → where they were registered
        self._removed: dict[str, str] = {}  # person's ID number → maHoSo

    def register_newborn(self, req: DangKyThuongTruRequest) -> tuple[HoSoCuTru, bool]:
        """Take in a newborn's registration; returns (dossier, replayed)."""
        case, replayed = self.book.receive(
            req.maHoSo, req.model_dump_json(), lambda: self._open_registration(req)
        )
        return self.answer(case), replayed

    def remove_deceased(self, req: XoaDangKyThuongTruRequest) -> tuple[HoSoCuTru, bool]:
        """Take in the removal of a deceased person; returns (dossier, replayed)."""
        case, replayed = self.book.receive(req.maHoSo, req.model_dump_json(), lambda: self._open_removal(req))
        return self.answer(case), replayed

    def dossier(self, code: str) -> HoSoCuTru:
        """A dossier as of the simulated now; CaseUnknown when there is none."""
        return self.answer(self.book.get(code))

    def resident(self, id_number: str) -> CongDanCuTru:
        """A person's residence as of the simulated now."""
        person = self.people.find(id_number, None, id_field="soDinhDanh", name_field="hoTen")
        now = self.clock.now()
        status: Literal["THUONG_TRU", "DA_XOA_DANG_KY_THUONG_TRU", "CHUA_DANG_KY"] = "THUONG_TRU"
        where: dict[str, str | None] = {"noiThuongTru": None, "soSoHoKhau": None, "chuHo": None}
        removal = self._removed.get(id_number)
        registration = self._registered.get(id_number)
        if removal is not None and self._done(removal, now):
            status = "DA_XOA_DANG_KY_THUONG_TRU"
        elif registration is not None and self._done(registration, now):
            where = {key: self._results[id_number][key] for key in where}
        elif person.birth_date >= REFERENCE_DATE:  # born after the seed's day: known only by its birth
            status = "CHUA_DANG_KY"
        else:
            where = {
                "noiThuongTru": person.permanent_address.detail,
                "soSoHoKhau": person.household.book_number,
                "chuHo": person.household.head_name,
            }
        return CongDanCuTru(soDinhDanh=id_number, hoTen=person.full_name, tinhTrangCuTru=status, **where)

    # ---- the rules -----------------------------------------------------------------------------------

    def _open_registration(self, req: DangKyThuongTruRequest) -> Case[Request]:
        child_wire = req.nguoiDangKy
        child = self.people.find(
            child_wire.soDinhDanh,
            child_wire.hoTen,
            id_field="nguoiDangKy.soDinhDanh",
            name_field="nguoiDangKy.hoTen",
        )
        self.people.check_birth(child, child_wire.ngaySinh, "nguoiDangKy.ngaySinh")
        if {"M": 1, "F": 2}[child.sex] != child_wire.gioiTinh:
            raise AgencyError(
                422, MISMATCH, "nguoiDangKy.gioiTinh: differs from the record", "nguoiDangKy.gioiTinh"
            )
        head = self._household_head(req)
        parents_books = {child.household.book_number} | self._parents_books(child)
        if req.soSoHoKhau not in parents_books:
            raise AgencyError(
                422,
                "KHONG_CUNG_HO_CHA_ME",
                f"soSoHoKhau: household {req.soSoHoKhau} is neither the child's father's nor mother's",
                "soSoHoKhau",
            )
        earlier = self._registered.get(child.id_number)
        if earlier is not None:
            raise AgencyError(
                409,
                "DA_DANG_KY_THUONG_TRU",
                f"the permanent residence of {child.id_number} was already registered (dossier {earlier})",
                "nguoiDangKy.soDinhDanh",
            )
        rng = self._rng(req.maHoSo)
        verify = rng.random() < self.settings.verification_rate
        days = self.settings.verification_days if verify else self.settings.registration_days
        middle = [(TIEP_NHAN, "Tiếp nhận hồ sơ đăng ký thường trú")]
        if verify:
            middle.append((XAC_MINH, "Xác minh nơi cư trú của cha, mẹ"))
        middle.append((DANG_XU_LY, "Thẩm định, cập nhật CSDL về cư trú"))
        final = (HOAN_THANH, "Đã đăng ký thường trú, cập nhật vào hộ gia đình")
        case = self._open(req, rng, "DK", days, middle, final)
        case.result = {
            "soDinhDanh": child.id_number,
            "hoTen": child.full_name,
            "tinhTrangCuTru": "THUONG_TRU",
            "noiThuongTru": head.permanent_address.detail,
            "soSoHoKhau": req.soSoHoKhau,
            "chuHo": head.full_name,
            "quanHeVoiChuHo": req.quanHeVoiChuHo,
            "canXacMinh": verify,
        }
        self._registered[child.id_number] = req.maHoSo
        self._results[child.id_number] = case.result
        self.effects.dang_ky_thuong_tru += 1
        self.effects.can_xac_minh += int(verify)
        return case

    def _open_removal(self, req: XoaDangKyThuongTruRequest) -> Case[Request]:
        person = self.people.find(req.soDinhDanh, req.hoTen, id_field="soDinhDanh", name_field="hoTen")
        self.people.check_death(person, req.ngayChet, self.clock.now_datetime().date(), "ngayChet")
        if req.nguonYeuCau == 2 and not isinstance(person, DeceasedCitizen):
            raise AgencyError(
                422, NO_DEATH_RECORDED, "soDinhDanh: the population database records no death of this person",
                "soDinhDanh",
            )  # fmt: skip
        if req.trichLucKhaiTu is not None and req.trichLucKhaiTu.ngayCap < req.ngayChet:
            raise AgencyError(
                422, INVALID, "trichLucKhaiTu.ngayCap: issued before the death", "trichLucKhaiTu.ngayCap"
            )
        earlier = self._removed.get(person.id_number)
        if earlier is not None:
            raise AgencyError(
                409,
                "DA_XOA_DANG_KY",
                f"the permanent residence of {person.id_number} was already removed (dossier {earlier})",
                "soDinhDanh",
            )
        before = self.resident(person.id_number)
        rng = self._rng(req.maHoSo)
        middle = [(TIEP_NHAN, "Tiếp nhận thông tin khai tử"), (DANG_XU_LY, "Xóa đăng ký thường trú")]
        final = (HOAN_THANH, "Đã xóa đăng ký thường trú (lý do: chết)")
        case = self._open(req, rng, "XT", self.settings.removal_days, middle, final)
        # Drawn after the timeline's draws, which stay as seeded; a stalled removal's end is never reached.
        if rng.random() < self.settings.removal_stall_rate:
            case.steps = (*case.steps[:-1], Step(final[0], math.inf, final[1]))
        case.result = {
            "soDinhDanh": person.id_number,
            "hoTen": person.full_name,
            "tinhTrangCuTru": "DA_XOA_DANG_KY_THUONG_TRU",
            "noiThuongTru": before.noiThuongTru or "",
            "soSoHoKhau": before.soSoHoKhau or "",
            "chuHo": before.chuHo or "",
            "canXacMinh": False,
        }
        self._removed[person.id_number] = req.maHoSo
        self.effects.xoa_dang_ky_thuong_tru += 1
        return case

    def _done(self, code: str, now: float) -> bool:
        """Whether the dossier is done by `now`; one forgotten to keep the book bounded was long done."""
        try:
            return self.book.get(code).finished(now)
        except CaseUnknown:
            return True

    def _household_head(self, req: DangKyThuongTruRequest) -> Citizen:
        unknown = AgencyError(
            404,
            "HO_KHONG_TON_TAI",
            f"soSoHoKhau: no household {req.soSoHoKhau} headed by {req.chuHo.soDinhDanh}",
            "soSoHoKhau",
        )
        try:
            head = self.directory.citizen(req.chuHo.soDinhDanh)
        except ValueError:
            raise unknown from None
        if head is None or head.household.relation != HEAD or head.household.book_number != req.soSoHoKhau:
            raise unknown
        if not same_name(head.full_name, req.chuHo.hoTen):
            raise AgencyError(
                422, MISMATCH, "chuHo.hoTen: does not match the household's head", "chuHo.hoTen"
            )
        return head

    def _parents_books(self, child: Citizen) -> set[str]:
        books = set()
        for parent in (child.father, child.mother):
            if parent is not None and parent.id_number:
                record = self.directory.citizen(parent.id_number)
                if record is not None:
                    books.add(record.household.book_number)
        return books

    def _rng(self, code: str) -> random.Random:
        return random.Random(f"{self.settings.seed}:{code}")

    def _open(
        self,
        req: Request,
        rng: random.Random,
        prefix: str,
        days: int,
        middle: list[tuple[int, str]],
        final: tuple[int, str],
    ) -> Case[Request]:
        now = self.clock.now()
        due = self.calendar.add_working_days(as_datetime(now), days)
        steps = plan_steps(rng, self.calendar, now, due, middle, final, self.settings.late_rate)
        system_id = f"CT.{prefix}.{self.settings.province_code}.{self.book.next_serial():08d}"
        return Case(code=req.maHoSo, system_id=system_id, wire=req, received_at=now, due=due, steps=steps)

    def answer(self, case: Case[Request]) -> HoSoCuTru:
        """The dossier as of the simulated now: history so far, the result once done."""
        now = self.clock.now()
        reached = case.reached(now)
        done = case.finished(now)
        result = {k: v for k, v in case.result.items() if k != "canXacMinh"}
        return HoSoCuTru(
            maHoSo=case.code,
            maHoSoCuTru=case.system_id,
            loaiThuTuc="DANG_KY_THUONG_TRU"
            if isinstance(case.wire, DangKyThuongTruRequest)
            else "XOA_DANG_KY_THUONG_TRU",
            trangThai=reached[-1].status,
            tenTrangThai=STATUS_NAMES[reached[-1].status],
            canXacMinh=bool(case.result.get("canXacMinh")),
            ngayTiepNhan=as_datetime(case.received_at),
            ngayHenTra=case.due,
            ngayHoanThanh=as_datetime(case.steps[-1].at) if done else None,
            lichSu=history(reached, STATUS_NAMES, BuocXuLy),
            ketQua=KetQuaCuTru(ngayThucHien=as_datetime(case.steps[-1].at).date(), **result)
            if done
            else None,
        )
