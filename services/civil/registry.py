"""The civil registry's rules: what each registration checks, what it changes, and idempotency on maHoSo.

Every check runs before any change, so a rejected request changes nothing. Methods run on the event loop;
only a birth awaits (the population database issuing the child's number), and births of one maHoSo are
serialised, so two requests never interleave inside one registration. A birth whose number the
population database did not issue stays waiting (trangThai 2, no documents asked) and is asked again
when its record is looked up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal, TypeVar

from services.citizens import Population, Sex
from services.citizens.id_numbers import FIRST_YEAR, LAST_YEAR
from services.civil.errors import DossierConflict, FieldInvalid, RecordNotFound
from services.civil.id_issuers import (
    ChildIdIssuer,
    IssuerRefused,
    IssuerUnavailable,
    NewbornIdRequest,
    SharedPopulationIssuer,
)
from services.civil.models import (
    BoSungKhaiSinh,
    EffectCounts,
    GioiTinh,
    HoTichRecord,
    KetHonRequest,
    KhaiSinhRequest,
    KhaiTuRequest,
    LoaiGiayTo,
    NguoiThan,
    Registration,
    TinhTrangHonNhan,
    TrangThai,
    XacNhanTTHNRequest,
)
from services.civil.people import CivilStatusBook, Person, same_name
from vn_calendar import vietnam_today

Kind = Literal["khaisinh", "khaitu", "kethon", "xacnhantthn"]
Req = TypeVar("Req", bound=Registration)

# Luật Hộ tịch 2014, art. 15: a birth is registered "on time" within 60 days.
ON_TIME_DAYS = 60
# Luật Hôn nhân và gia đình 2014, art. 8: men from 20, women from 18.
MIN_MARRIAGE_AGE = {"M": 20, "F": 18}
_PREFIX: dict[Kind, str] = {"khaisinh": "KS", "khaitu": "KT", "kethon": "KH", "xacnhantthn": "XN"}
PENDING_DOCUMENTS = ["Giấy chứng sinh (bản chính)", "Giấy tờ tùy thân của người yêu cầu (bản sao chứng thực)"]
SEX_UNDETERMINED_DOCUMENTS = ["Giấy xác định giới tính của cơ sở y tế"]


class CivilRegistry:
    """Registrations of births, deaths, marriages and marital-status certificates over a shared population."""

    def __init__(
        self,
        population: Population,
        *,
        province_code: str = "031",
        pending_rate: float = 0.02,
        seed: int = 2023,
        today: Callable[[], date] = vietnam_today,
        issuer: ChildIdIssuer | None = None,
    ) -> None:
        self.people = CivilStatusBook(population)
        self.issuer = issuer or SharedPopulationIssuer(population)
        # maHoSo → (its lock, how many deliveries hold or wait for it); dropped when the last one leaves
        self._births_in_flight: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self.population = population
        self.province_code = province_code
        self.pending_rate = pending_rate
        self.effects = EffectCounts()
        self._random = random.Random(seed)
        self._today = today
        self._records: dict[str, HoTichRecord] = {}
        self._by_dossier: dict[str, tuple[str, HoTichRecord]] = {}
        self._by_person: dict[str, list[str]] = {}

    # ---- registrations -------------------------------------------------------------------------------

    async def register_birth(self, req: KhaiSinhRequest) -> tuple[HoTichRecord, bool]:
        """Register a birth and have the child's ID number issued; returns (record, replayed)."""
        lock, users = self._births_in_flight.setdefault(req.maHoSo, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:  # a second delivery of the same dossier waits, then is a replay
                seen = self._replay("khaisinh", req)
                if seen is not None:
                    return seen, True
                record = await self._birth(req)
                self._store("khaisinh", req, record)  # no await since the record id was drawn
                return record, False
        finally:
            users[0] -= 1
            if not users[0]:
                del self._births_in_flight[req.maHoSo]

    def register_death(self, req: KhaiTuRequest) -> tuple[HoTichRecord, bool]:
        """Register a death: the person becomes deceased; returns (record, replayed)."""
        return self._once("khaitu", req, self._death)

    def register_marriage(self, req: KetHonRequest) -> tuple[HoTichRecord, bool]:
        """Register a marriage between two unmarried adults; returns (record, replayed)."""
        return self._once("kethon", req, self._marriage)

    def certify_marital_status(self, req: XacNhanTTHNRequest) -> tuple[HoTichRecord, bool]:
        """Issue a marital-status certificate for a living person; returns (record, replayed)."""
        return self._once("xacnhantthn", req, self._certificate)

    async def supplement_birth(self, record_id: str, req: BoSungKhaiSinh) -> tuple[HoTichRecord, bool]:
        """Complete a pending birth with the requested documents: the ID number is issued now.

        A birth already registered is returned unchanged (replayed=True): repeating a supplement is harmless.
        """
        record = self.record("khaisinh", record_id)
        if record.trangThai == TrangThai.DA_DANG_KY:
            return record, True
        original = KhaiSinhRequest.model_validate(record.duLieu)
        sex_code = original.nksGioiTinh
        if sex_code == GioiTinh.CHUA_XAC_DINH:
            if req.nksGioiTinh is None:
                raise FieldInvalid("nksGioiTinh", "the supplement must state the child's sex: 1 Nam or 2 Nữ")
            sex_code = GioiTinh(req.nksGioiTinh)
        child_id = await self._issue_child_id(original, sex_code)
        if child_id is None:  # documents accepted; now only the number is awaited
            waiting = record.model_copy(
                update={"yeuCauBoSung": [], "duLieu": {**record.duLieu, "nksGioiTinh": int(sex_code)}}
            )
            self._replace(waiting)
            return waiting, False
        return self._complete_birth(record, child_id, sex_code), False

    async def refresh_birth(self, record_id: str) -> HoTichRecord:
        """The birth record, after asking the population database again for a number it did not issue."""
        record = self.record("khaisinh", record_id)
        if record.trangThai == TrangThai.DA_DANG_KY or record.yeuCauBoSung:
            return record
        original = KhaiSinhRequest.model_validate(record.duLieu)
        child_id = await self._issue_child_id(original, original.nksGioiTinh)
        if child_id is None:
            return self.record("khaisinh", record_id)
        current = self.record("khaisinh", record_id)
        if current.trangThai == TrangThai.DA_DANG_KY:  # completed by a concurrent look-up meanwhile
            return current
        return self._complete_birth(current, child_id, original.nksGioiTinh)

    def _complete_birth(self, record: HoTichRecord, child_id: str, sex_code: GioiTinh) -> HoTichRecord:
        self.effects.khaisinh_cho_cap_so -= 1
        self.effects.khaisinh += 1
        done = record.model_copy(
            update={
                "trangThai": TrangThai.DA_DANG_KY,
                "nksSoDinhDanh": child_id,
                "yeuCauBoSung": [],
                "nguoiLienQuan": [child_id, *record.nguoiLienQuan],
                "duLieu": {**record.duLieu, "nksGioiTinh": int(sex_code)},
            }
        )
        self._replace(done)
        self._by_person.setdefault(child_id, []).append(done.id)
        return done

    def _replace(self, record: HoTichRecord) -> None:
        self._records[record.id] = record
        fingerprint, _ = self._by_dossier[record.maHoSo]
        self._by_dossier[record.maHoSo] = (fingerprint, record)

    # ---- look-ups ------------------------------------------------------------------------------------

    def record(self, kind: Kind, record_id: str) -> HoTichRecord:
        """One record of the given kind by its id; RecordNotFound otherwise."""
        found = self._records.get(record_id)
        if found is None or found.loai != kind:
            raise RecordNotFound(f"no {kind} record with id {record_id!r}")
        return found

    def records_of(self, so_dinh_danh: str) -> tuple[Person, list[HoTichRecord]]:
        """A person's current status and every record naming them; RecordNotFound for an unknown person."""
        try:
            person = self.people.person(so_dinh_danh)
        except ValueError as exc:
            raise RecordNotFound(f"no citizen with personal ID number {so_dinh_danh!r}: {exc}") from None
        if person is None:
            raise RecordNotFound(f"no citizen with personal ID number {so_dinh_danh!r}")
        return person, [self._records[rid] for rid in self._by_person.get(so_dinh_danh, [])]

    # ---- the rules -----------------------------------------------------------------------------------

    def _once(self, kind: Kind, req: Req, apply: Callable[[Req], HoTichRecord]) -> tuple[HoTichRecord, bool]:
        seen = self._replay(kind, req)
        if seen is not None:
            return seen, True
        record = apply(req)
        self._store(kind, req, record)
        return record, False

    def _replay(self, kind: Kind, req: Registration) -> HoTichRecord | None:
        """The record a repeat of `req` gets; DossierConflict when maHoSo was used for another request."""
        seen = self._by_dossier.get(req.maHoSo)
        if seen is None:
            return None
        if seen[0] != f"{kind}:{req.model_dump_json()}":
            raise DossierConflict(
                f"maHoSo {req.maHoSo!r} was already registered as {seen[1].loai} record {seen[1].id} "
                "with a different request; a dossier number may be used only once"
            )
        return seen[1]

    def _store(self, kind: Kind, req: Registration, record: HoTichRecord) -> None:
        self._records[record.id] = record
        self._by_dossier[req.maHoSo] = (f"{kind}:{req.model_dump_json()}", record)
        for person in record.nguoiLienQuan:
            self._by_person.setdefault(person, []).append(record.id)

    def _new_id(self, kind: Kind) -> str:
        return f"{_PREFIX[kind]}.{self.province_code}.{len(self._records) + 1:08d}"

    def _check_registration_date(self, day: date) -> None:
        if day > self._today():
            raise FieldInvalid("ngayDangKy", f"registration date {day} is in the future")

    async def _birth(self, req: KhaiSinhRequest) -> HoTichRecord:
        self._check_registration_date(req.ngayDangKy)
        if req.nksNgaySinh > req.ngayDangKy:
            raise FieldInvalid("nksNgaySinh", "date of birth is after the registration date")
        if not FIRST_YEAR <= req.nksNgaySinh.year <= LAST_YEAR:
            raise FieldInvalid("nksNgaySinh", f"year of birth must be within {FIRST_YEAR}-{LAST_YEAR}")
        names = req.nksHoTen.split()
        if len(names) < 2:
            raise FieldInvalid("nksHoTen", "needs at least a family name and a given name")
        late = req.ngayDangKy - req.nksNgaySinh > timedelta(days=ON_TIME_DAYS)
        if req.loaiDangKy == 1 and late:
            raise FieldInvalid(
                "loaiDangKy", f"1 (on time) is only for births within {ON_TIME_DAYS} days; use 4"
            )
        mother = self._parent("me", req.me, "F", req.nksNgaySinh)
        father = self._parent("cha", req.cha, "M", req.nksNgaySinh) if req.cha else None
        related = [p.so_dinh_danh for p in (mother, father) if p is not None]
        kind: Kind = "khaisinh"
        if req.nksGioiTinh == GioiTinh.CHUA_XAC_DINH:
            return self._pending_birth(req, related, SEX_UNDETERMINED_DOCUMENTS)
        if self._random.random() < self.pending_rate:
            return self._pending_birth(req, related, PENDING_DOCUMENTS)
        child_id = await self._issue_child_id(req, req.nksGioiTinh)
        if child_id is None:
            return self._pending_birth(req, related, [])
        self.effects.khaisinh += 1
        return HoTichRecord(
            id=self._new_id(kind),
            loai=kind,
            maHoSo=req.maHoSo,
            trangThai=TrangThai.DA_DANG_KY,
            nksSoDinhDanh=child_id,
            nguoiLienQuan=[child_id, *related],
            duLieu=req.model_dump(mode="json"),
        )

    async def _issue_child_id(self, req: KhaiSinhRequest, sex_code: GioiTinh) -> str | None:
        """The child's number from the population database (parents already checked); None when it did
        not answer, FieldInvalid when it refused."""
        sex: Sex = "M" if sex_code == GioiTinh.NAM else "F"
        names = req.nksHoTen.split()
        request = NewbornIdRequest(
            request_code=req.maHoSo, family_name=names[0], middle_name=" ".join(names[1:-1]),
            given_name=names[-1], sex=sex, birth_date=req.nksNgaySinh, province_code=self.province_code,
            mother_id=req.me.SoGiayToTuyThan, father_id=req.cha.SoGiayToTuyThan if req.cha else None,
        )  # fmt: skip
        try:
            child_id = await self.issuer.issue(request)
        except IssuerUnavailable:
            return None
        except IssuerRefused as exc:
            raise FieldInvalid(
                "nksSoDinhDanh", f"the population database refused to issue it: {exc}"
            ) from None
        return child_id

    def _pending_birth(self, req: KhaiSinhRequest, related: list[str], documents: list[str]) -> HoTichRecord:
        self.effects.khaisinh_cho_cap_so += 1
        return HoTichRecord(
            id=self._new_id("khaisinh"),
            loai="khaisinh",
            maHoSo=req.maHoSo,
            trangThai=TrangThai.CHO_CAP_SO_DINH_DANH,
            yeuCauBoSung=list(documents),
            nguoiLienQuan=related,
            duLieu=req.model_dump(mode="json"),
        )

    def _death(self, req: KhaiTuRequest) -> HoTichRecord:
        self._check_registration_date(req.ngayDangKy)
        person = self._known("nktSoDinhDanh", req.nktSoDinhDanh, "nktHoTen", req.nktHoTen)
        if not person.alive:
            raise FieldInvalid("nktSoDinhDanh", f"a death was already registered for {person.so_dinh_danh}")
        if req.nktNgayChet < person.ngay_sinh:
            raise FieldInvalid("nktNgayChet", "date of death is before the date of birth")
        if req.nktNgayChet > req.ngayDangKy:
            raise FieldInvalid("nktNgayChet", "date of death is after the registration date")
        try:  # recorded in the shared population (its own checks agree with the ones above)
            self.population.record_death(person.so_dinh_danh, req.nktNgayChet)
        except ValueError as exc:
            raise FieldInvalid("nktSoDinhDanh", str(exc)) from None
        self.effects.khaitu += 1
        return HoTichRecord(
            id=self._new_id("khaitu"),
            loai="khaitu",
            maHoSo=req.maHoSo,
            trangThai=TrangThai.DA_DANG_KY,
            nguoiLienQuan=[person.so_dinh_danh],
            duLieu=req.model_dump(mode="json"),
        )

    def _marriage(self, req: KetHonRequest) -> HoTichRecord:
        self._check_registration_date(req.ngayDangKy)
        if req.chong.SoGiayToTuyThan == req.vo.SoGiayToTuyThan:
            raise FieldInvalid("vo.SoGiayToTuyThan", "husband and wife are the same person")
        spouses = []
        for role, sex, data in (("chong", "M", req.chong), ("vo", "F", req.vo)):
            person = self._identified(role, data)
            if not person.alive:
                raise FieldInvalid(f"{role}.SoGiayToTuyThan", "this person is registered as deceased")
            if person.sex != sex:
                raise FieldInvalid(f"{role}.SoGiayToTuyThan", _wrong_sex(sex))
            minimum = MIN_MARRIAGE_AGE[sex]
            if person.age_on(req.ngayDangKy) < minimum:
                raise FieldInvalid(f"{role}.NgaySinh", f"under the marriage age of {minimum} on ngayDangKy")
            if person.tinh_trang_hon_nhan == TinhTrangHonNhan.DANG_CO_VO_CHONG:
                raise FieldInvalid(f"{role}.SoGiayToTuyThan", "this person is already married")
            spouses.append(person.so_dinh_danh)
        try:  # recorded in the shared population, which both mocks read
            self.population.record_marriage(spouses[0], spouses[1], req.ngayDangKy)
        except ValueError as exc:
            raise FieldInvalid("vo.SoGiayToTuyThan", str(exc)) from None
        self.effects.kethon += 1
        return HoTichRecord(
            id=self._new_id("kethon"),
            loai="kethon",
            maHoSo=req.maHoSo,
            trangThai=TrangThai.DA_DANG_KY,
            tinhTrangHonNhan=TinhTrangHonNhan.DANG_CO_VO_CHONG,
            nguoiLienQuan=spouses,
            duLieu=req.model_dump(mode="json"),
        )

    def _certificate(self, req: XacNhanTTHNRequest) -> HoTichRecord:
        self._check_registration_date(req.ngayDangKy)
        person = self._known("soDinhDanh", req.soDinhDanh, "hoTen", req.hoTen)
        if not person.alive:
            raise FieldInvalid("soDinhDanh", "this person is registered as deceased")
        self.effects.xacnhantthn += 1
        return HoTichRecord(
            id=self._new_id("xacnhantthn"),
            loai="xacnhantthn",
            maHoSo=req.maHoSo,
            trangThai=TrangThai.DA_DANG_KY,
            tinhTrangHonNhan=person.tinh_trang_hon_nhan,
            nguoiLienQuan=[person.so_dinh_danh],
            duLieu=req.model_dump(mode="json"),
        )

    # ---- identity checks -----------------------------------------------------------------------------

    def _known(self, id_field: str, so_dinh_danh: str, name_field: str, name: str) -> Person:
        try:
            person = self.people.person(so_dinh_danh)
        except ValueError as exc:
            raise FieldInvalid(id_field, f"not a valid personal ID number: {exc}") from None
        if person is None:
            raise FieldInvalid(
                id_field, f"no citizen with personal ID number {so_dinh_danh} in the population"
            )
        if not same_name(person.ho_ten, name):
            raise FieldInvalid(
                name_field, f"{name!r} does not match the population's record for {so_dinh_danh}"
            )
        return person

    def _identified(self, role: str, data: NguoiThan) -> Person:
        if data.LoaiGiayToTuyThan != LoaiGiayTo.CCCD or len(data.SoGiayToTuyThan) != 12:
            raise FieldInvalid(
                f"{role}.SoGiayToTuyThan", "must be a 12-digit personal ID number (LoaiGiayToTuyThan 2, CCCD)"
            )
        return self._known(f"{role}.SoGiayToTuyThan", data.SoGiayToTuyThan, f"{role}.HoTen", data.HoTen)

    def _parent(self, role: str, data: NguoiThan, sex: str, child_birth: date) -> Person:
        person = self._identified(role, data)
        if person.sex != sex:
            raise FieldInvalid(f"{role}.SoGiayToTuyThan", _wrong_sex(sex))
        if person.ngay_sinh >= child_birth:
            raise FieldInvalid(f"{role}.NgaySinh", "a parent must be born before the child")
        return person


def _wrong_sex(expected: str) -> str:
    return f"the population records this person as not {'male' if expected == 'M' else 'female'}"
