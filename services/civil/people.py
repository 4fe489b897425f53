"""The registry's view of people, read from the shared population.

The population derives a person from their ID number and itself keeps the deaths and marriages the
registry records in it (`Population.record_death`, `record_marriage`), so both mocks see one truth.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from services.citizens import Population
from services.civil.models import TinhTrangHonNhan
from vn_calendar import age_on as years_on


@dataclass(frozen=True)
class Person:
    """One person as the registry judges them: identity and civil status from the population."""

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
        """Full years of age on `day` (the law's rule: vn_calendar.ages)."""
        return years_on(self.ngay_sinh, day)


def same_name(left: str, right: str) -> bool:
    """Names match when equal after Unicode NFC, case folding and whitespace collapsing."""

    def norm(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).casefold().split())

    return norm(left) == norm(right)


@dataclass(frozen=True)
class CivilStatusBook:
    """People of the shared population, as the registry judges them."""

    population: Population

    def person(self, so_dinh_danh: str) -> Person | None:
        """The person with this ID number, or None when unknown; ValueError when it is no valid ID number."""
        found = self.population.identity(so_dinh_danh)  # what the registry judges: not the whole record
        if found is None:
            return None
        return Person(
            so_dinh_danh=so_dinh_danh,
            ho_ten=found.full_name,
            ngay_sinh=found.birth_date,
            sex=found.sex,
            tinh_trang_hon_nhan=_marital_status(found.marital_status),
            ngay_mat=found.death_date,
        )


def _marital_status(code: str) -> TinhTrangHonNhan:
    # The population database codes marital status "1".."4" in the same order as the registry.
    try:
        return TinhTrangHonNhan(int(code))
    except ValueError:
        return TinhTrangHonNhan.CHUA_KET_HON
