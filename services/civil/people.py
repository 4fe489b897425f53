"""The registry's view of people: the shared population plus the civil-status changes the registry made.

The population derives a person from their ID number; deaths and marriages registered here are kept in
a small overlay (bounded by what was registered), so the population itself is never copied.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from services.citizens import Citizen, Population
from services.civil.models import TinhTrangHonNhan


@dataclass(frozen=True)
class Person:
    """One person as the registry judges them: identity from the population, status from the overlay."""

    so_dinh_danh: str
    ho_ten: str
    ngay_sinh: date
    sex: str  # "M" or "F", as the ID number's century-and-sex digit says
    tinh_trang_hon_nhan: TinhTrangHonNhan
    ngay_mat: date | None

    @property
    def alive(self) -> bool:
        """Whether no death has been registered for this person."""
        return self.ngay_mat is None

    def age_on(self, day: date) -> int:
        """Full years of age on `day`."""
        before_birthday = (day.month, day.day) < (self.ngay_sinh.month, self.ngay_sinh.day)
        return day.year - self.ngay_sinh.year - int(before_birthday)


def same_name(left: str, right: str) -> bool:
    """Names match when equal after Unicode NFC, case folding and whitespace collapsing."""

    def norm(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).casefold().split())

    return norm(left) == norm(right)


@dataclass
class CivilStatusBook:
    """People of the shared population, with the deaths and marriages registered through this registry."""

    population: Population
    deaths: dict[str, date] = field(default_factory=dict)
    marital: dict[str, TinhTrangHonNhan] = field(default_factory=dict)
    spouses: dict[str, str] = field(default_factory=dict)

    def person(self, so_dinh_danh: str) -> Person | None:
        """The person with this ID number, or None when unknown; ValueError when it is no valid ID number."""
        citizen = self.population.citizen(so_dinh_danh)
        if citizen is None:
            return None
        return Person(
            so_dinh_danh=so_dinh_danh,
            ho_ten=citizen.full_name,
            ngay_sinh=citizen.birth_date,
            sex=citizen.sex,
            tinh_trang_hon_nhan=self.marital.get(so_dinh_danh, _base_marital_status(citizen)),
            ngay_mat=self.deaths.get(so_dinh_danh),
        )

    def record_death(self, so_dinh_danh: str, day: date) -> None:
        """Mark a person deceased; a living spouse becomes widowed."""
        self.deaths[so_dinh_danh] = day
        spouse = self.spouses.pop(so_dinh_danh, None)
        if spouse is not None:
            self.spouses.pop(spouse, None)
            self.marital[spouse] = TinhTrangHonNhan.GOA

    def record_marriage(self, chong: str, vo: str) -> None:
        """Mark two people married to each other."""
        self.marital[chong] = self.marital[vo] = TinhTrangHonNhan.DANG_CO_VO_CHONG
        self.spouses[chong], self.spouses[vo] = vo, chong


def _base_marital_status(citizen: Citizen) -> TinhTrangHonNhan:
    # The population database codes marital status "1".."4" in the same order as the registry.
    try:
        return TinhTrangHonNhan(int(citizen.marital_status))
    except ValueError:
        return TinhTrangHonNhan.CHUA_KET_HON
