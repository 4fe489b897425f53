"""The judicial-records office: a request is searched, verified with the police and courts over working
days on the simulated clock, then a certificate is issued (status 9) or refused (10, a seeded share);
an issued certificate can later be revoked (11).

The 10 (15) working days are the whole procedure's time limit, returning the certificate included, and
run from the one-stop's reception (its ngayHenTra), which came before ours when the fee was paid first:
the verification ends on a day drawn from the second half of the period less `return_days` (a few days
to most of the period), the seeded `late_rate` share one or two working days after the appointment.

A person's criminal record is derived from the seed and their ID number (`conviction_rate`; half of the
convictions expunged): certificate no. 1 shows unexpunged convictions only, no. 2 shows everything.

Refusals (maLoi):
    SAI_MA_TINH                    422  maTinh is not this province
    KHONG_TIM_THAY_NHAN_THAN       404  no such person in the population database
    THONG_TIN_KHONG_KHOP           422  a name, date or sex differs from the population's record
    PHIEU_SO_2_KHONG_DUOC_UY_QUYEN 422  certificate no. 2 is only issued to the person (Law on LLTP, art. 46)
    NGAY_HEN_TRA_KHONG_HOP_LE      422  the appointment is before the reception day
    CHUA_CAP_PHIEU                 409  no certificate issued (yet) to revoke
    DA_THU_HOI                     409  already revoked by another decision
    DU_LIEU_KHONG_HOP_LE           422  a field breaks its format
    TRUNG_MA_HO_SO                 409  maHoSoMCDT already used for a different request
    HO_SO_KHONG_TON_TAI            404  no request with this maHoSoMCDT
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date, datetime, timedelta
from typing import Any

from services.casework import AgencyError, Case, Step, plan_steps
from services.casework.directory import PeopleDirectory
from services.casework.office import CaseDesk, history
from services.casework.timeline import as_datetime
from services.citizens import PROVINCE_NAMES, Citizen
from services.clock import VIETNAM_TIME, SimulatedClock
from services.lltp.certificate_pdf import render_pdf
from services.lltp.models import (
    DA_CAP,
    STATUS_NAMES,
    THU_HOI,
    TIEP_NHAN,
    TRA_CUU,
    TU_CHOI,
    XAC_MINH,
    AnTich,
    BuocXuLy,
    DangKyCapPhieuRequest,
    Effects,
    HoSoLLTP,
    KetQuaLLTP,
    ThuHoi,
    ThuHoiRequest,
)
from services.lltp.settings import LltpSettings

INVALID, NOT_FOUND, MISMATCH = "DU_LIEU_KHONG_HOP_LE", "KHONG_TIM_THAY_NHAN_THAN", "THONG_TIN_KHONG_KHOP"
REFUSALS = (
    "Chưa đủ cơ sở xác minh thông tin về nhân thân của người được cấp Phiếu",
    "Thông tin trong tờ khai không phù hợp với kết quả xác minh của cơ quan Công an",
)
CRIMES = (
    ("Trộm cắp tài sản (Điều 173 BLHS)", "06 tháng tù cho hưởng án treo"),
    ("Cố ý gây thương tích (Điều 134 BLHS)", "12 tháng tù"),
    ("Vi phạm quy định về tham gia giao thông đường bộ (Điều 260 BLHS)", "Phạt tiền 30.000.000 đồng"),
)


class JudicialRecordsOffice(CaseDesk[DangKyCapPhieuRequest]):
    """Certificate requests by maHoSoMCDT, with their planned course and, once issued, the certificate."""

    def __init__(self, people: PeopleDirectory, settings: LltpSettings, clock: SimulatedClock) -> None:
        super().__init__(
            people, clock, settings.max_dossiers, invalid=INVALID, not_found=NOT_FOUND, mismatch=MISMATCH
        )
        self.settings = settings
        self.effects = Effects()
        self.province_name = PROVINCE_NAMES[settings.province_code]

    def convictions_of(self, person: Citizen) -> list[AnTich]:
        """The person's criminal record (empty for most people)."""
        rng = random.Random(f"{self.settings.seed}:antich:{person.id_number}")
        if rng.random() >= self.settings.conviction_rate:
            return []
        crime, sentence = rng.choice(CRIMES)
        year = min(person.birth_date.year + rng.randint(19, 40), 2025)
        day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}"
        judgment = f"Bản án số {rng.randint(10, 250)}/{year}/HS-ST ngày {day}"
        court = f"Tòa án nhân dân {self.province_name}"
        return [
            AnTich(
                banAn=judgment, toaAn=court, toiDanh=crime, hinhPhat=sentence, daXoaAnTich=rng.random() < 0.5
            )
        ]

    def request(self, req: DangKyCapPhieuRequest) -> tuple[HoSoLLTP, bool]:
        """Take in a certificate request; returns (request, replayed)."""
        case, replayed = self.book.receive(req.maHoSoMCDT, req.model_dump_json(), lambda: self._open(req))
        return self.answer(case, with_pdf=False), replayed

    def result(self, code: str, *, with_pdf: bool = True) -> HoSoLLTP:
        """A request as of the simulated now; CaseUnknown when there is none."""
        return self.answer(self.book.get(code), with_pdf=with_pdf)

    def certificate_pdf(self, code: str) -> bytes:
        """The issued certificate's PDF; AgencyError when none is issued (or it was revoked)."""
        case = self.book.get(code)
        if self._status(case) != DA_CAP:
            raise AgencyError(404, "CHUA_CAP_PHIEU", f"no valid certificate for {code}", "maHoSoMCDT")
        return self._pdf(case)

    def revoke(self, code: str, decision: ThuHoiRequest) -> tuple[HoSoLLTP, bool]:
        """Revoke an issued certificate; returns (request, replayed): the same decision again is a replay."""
        case = self.book.get(code)
        known = case.result.get("thuHoi")
        if known is not None:
            if ThuHoi.model_validate(known) != ThuHoi(**decision.model_dump()):
                message = f"the certificate of {code} was already revoked by decision {known['soQuyetDinh']}"
                raise AgencyError(409, "DA_THU_HOI", message, "soQuyetDinh")
            return self.answer(case, with_pdf=False), True
        if self._status(case) != DA_CAP:
            raise AgencyError(
                409, "CHUA_CAP_PHIEU", f"{code} has no issued certificate to revoke", "maHoSoMCDT"
            )
        case.result["thuHoi"] = decision.model_dump()
        case.steps = (
            *case.steps,
            Step(THU_HOI, self.clock.now(), f"Thu hồi theo quyết định {decision.soQuyetDinh}"),
        )
        self.effects.thu_hoi += 1
        return self.answer(case, with_pdf=False), False

    # ---- the rules -----------------------------------------------------------------------------------

    def _open(self, req: DangKyCapPhieuRequest) -> Case[DangKyCapPhieuRequest]:
        form = req.toKhai
        if req.maTinh != self.settings.province_code[1:]:
            message = (
                f"maTinh: this system serves province {self.settings.province_code[1:]}, not {req.maTinh}"
            )
            raise AgencyError(422, "SAI_MA_TINH", message, "maTinh")
        person = self.people.find(
            form.soGiayTo, form.hoTen, id_field="toKhai.soGiayTo", name_field="toKhai.hoTen"
        )
        self.people.check_birth(person, form.ngaySinh, "toKhai.ngaySinh")
        if {"M": 1, "F": 2}[person.sex] != form.gioiTinh:
            raise AgencyError(422, MISMATCH, "toKhai.gioiTinh: differs from the record", "toKhai.gioiTinh")
        if form.loaiPhieu == 2 and form.nguoiUyQuyen is not None:
            message = "toKhai.nguoiUyQuyen: certificate no. 2 is issued only at the person's own request"
            raise AgencyError(422, "PHIEU_SO_2_KHONG_DUOC_UY_QUYEN", message, "toKhai.nguoiUyQuyen")
        now = self.clock.now()
        if form.ngayHenTra < as_datetime(now).date():
            message = f"toKhai.ngayHenTra: {form.ngayHenTra} is before the reception day"
            raise AgencyError(422, "NGAY_HEN_TRA_KHONG_HOP_LE", message, "toKhai.ngayHenTra")
        elsewhere = any(self.province_name not in place.noiCuTru for place in form.quaTrinhCuTru)
        days = self.settings.several_places_days if elsewhere else self.settings.certificate_days
        due = self.calendar.add_working_days(as_datetime(now), days)
        verified_by = self._verified_by(min(due.date(), form.ngayHenTra), now)
        rng = random.Random(f"{self.settings.seed}:{req.maHoSoMCDT}")
        refused = rng.random() < self.settings.refusal_rate
        middle = [
            (TIEP_NHAN, "Tiếp nhận yêu cầu cấp Phiếu lý lịch tư pháp"),
            (TRA_CUU, "Tra cứu CSDL lý lịch tư pháp"),
            (XAC_MINH, "Gửi yêu cầu xác minh đến cơ quan Công an và Tòa án"),
        ]
        final = (TU_CHOI, "Từ chối cấp Phiếu") if refused else (DA_CAP, "Đã ký số, cấp Phiếu lý lịch tư pháp")
        steps = plan_steps(
            rng, self.calendar, now, due, middle, final, self.settings.late_rate, settle_by=verified_by
        )
        serial = self.book.next_serial()
        year = as_datetime(steps[-1].at).year
        case = Case(
            code=req.maHoSoMCDT,
            system_id=f"LLTP.{req.maTinh}.{serial:08d}",
            wire=req,
            received_at=now,
            due=due,
            steps=steps,
        )
        if refused:
            case.result = {"lyDoTuChoi": rng.choice(REFUSALS)}
        else:
            shown = [c for c in self.convictions_of(person) if form.loaiPhieu == 2 or not c.daXoaAnTich]
            case.result = {
                "soPhieuLLTP": f"{serial:06d}/{year}/LLTP-{req.maTinh}",
                "ngayCapPhieu": as_datetime(steps[-1].at).date(),
                "loaiPhieu": form.loaiPhieu,
                "soLuongCap": form.soLuongCap,
                "tinhTrangAnTich": "Có án tích" if shown else "Không có án tích",
                "noiDungAnTich": [c.model_dump() for c in shown],
                "coQuanCap": self.settings.issuing_office,
                "nguoiKy": self.settings.signer,
                "urlPhieu": f"/api/lltp/phieu/{req.maHoSoMCDT}/pdf",
            }
        self.effects.dang_ky += 1
        return case

    def _verified_by(self, appointment: date, now: float) -> datetime:
        """17:00 of the working day `return_days` before `appointment` (the one-stop's, when sooner than
        ours: its period began at its reception), not before reception's counting day."""
        day, earliest = appointment, self.calendar.counting_day(as_datetime(now))
        for _ in range(self.settings.return_days):
            day -= timedelta(days=1)
            while not self.calendar.is_working_day(day):
                day -= timedelta(days=1)
        return datetime.combine(max(day, earliest), self.calendar.results_due_at, VIETNAM_TIME)

    def _status(self, case: Case[DangKyCapPhieuRequest]) -> int:
        return case.status_at(self.clock.now()).status

    def _pdf(self, case: Case[DangKyCapPhieuRequest]) -> bytes:
        result, form = case.result, case.wire.toKhai
        lines = [
            f"So: {result['soPhieuLLTP']}",
            f"Ho va ten: {form.hoTen}   Gioi tinh: {'Nam' if form.gioiTinh == 1 else 'Nu'}",
            f"Ngay sinh: {form.ngaySinh:%d/%m/%Y}   Noi sinh: {form.noiSinh}",
            f"So CCCD: {form.soGiayTo}   Noi thuong tru: {form.noiThuongTru}",
            f"Tinh trang an tich: {result['tinhTrangAnTich']}",
            *[
                f"- {c['banAn']}, {c['toaAn']}: {c['toiDanh']}; {c['hinhPhat']}"
                for c in result["noiDungAnTich"]
            ],
            f"{result['coQuanCap']}, ngay {result['ngayCapPhieu']:%d/%m/%Y}",
            f"Nguoi ky: {result['nguoiKy']}",
        ]
        return render_pdf(f"PHIEU LY LICH TU PHAP SO {form.loaiPhieu}", lines)

    def answer(self, case: Case[DangKyCapPhieuRequest], *, with_pdf: bool) -> HoSoLLTP:
        """The request as of the simulated now: history so far, the certificate or refusal once decided."""
        now = self.clock.now()
        reached = case.reached(now)
        done = case.finished(now)
        status = reached[-1].status
        certificate: KetQuaLLTP | None = None
        if done and "soPhieuLLTP" in case.result:
            pdf = self._pdf(case)
            fields: dict[str, Any] = {k: v for k, v in case.result.items() if k != "thuHoi"}
            certificate = KetQuaLLTP(
                **fields,
                maBamPhieu=hashlib.sha256(pdf).hexdigest(),
                tepPhieu=base64.b64encode(pdf).decode() if with_pdf and status == DA_CAP else None,
            )
        return HoSoLLTP(
            maTinh=case.wire.maTinh,
            maHoSoMCDT=case.code,
            maHoSoLLTP=case.system_id,
            nguonDangKy=case.wire.nguonDangKy,
            loaiPhieu=case.wire.toKhai.loaiPhieu,
            trangThai=status,
            tenTrangThai=STATUS_NAMES[status],
            ngayTiepNhan=as_datetime(case.received_at),
            ngayHenTra=case.wire.toKhai.ngayHenTra,
            hanXuLy=case.due,
            lichSu=history(reached, STATUS_NAMES, BuocXuLy),
            ketQua=certificate,
            lyDoTuChoi=case.result.get("lyDoTuChoi") if done else None,
            thuHoi=case.result.get("thuHoi"),
        )
