"""The shape of one household, drawn from its own seeded random source: who lives there, how old, how related.

Identity numbers are not assigned here (see population.py); this module only decides people and places.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.citizens import models as m
from services.citizens.geography import (
    MIGRANT_ORIGINS,
    District,
    draw_home_district,
)
from services.citizens.id_numbers import Sex
from services.citizens.names import WeightedChoice, draw_family_name, draw_given_name, draw_middle_name

# Everyone's age is counted on this day, so the same seed gives the same people in any year.
REFERENCE_DATE = date(2024, 1, 1)
ADULT_AGE = 18
MAX_HOUSEHOLD = 6

HOUSEHOLD_SIZES = WeightedChoice([("1", 12), ("2", 22), ("3", 24), ("4", 26), ("5", 10), ("6", 6)])
BLOOD_TYPES = WeightedChoice([("O", 42), ("B", 31), ("A", 21), ("AB", 6)])
ETHNICITIES = WeightedChoice([("01", 98.9), ("04", 0.5), ("06", 0.2), ("02", 0.2), ("07", 0.1), ("03", 0.1)])
RELIGIONS = WeightedChoice([("00", 88), ("01", 6), ("02", 5), ("03", 1)])
# Age of a lone or couple head without children at home: young starters and empty nests.
_LONE_AGES = WeightedChoice([("22", 3), ("28", 3), ("35", 2), ("45", 1), ("58", 3), ("66", 4), ("76", 3)])


@dataclass
class MemberDraft:
    """One person of a household before ID numbers are assigned."""

    relation: str
    sex: Sex
    birth_date: date
    birth_province: str
    family_name: str
    middle_name: str
    given_name: str
    marital_status: str
    blood_type: str
    lives_elsewhere: bool = False

    @property
    def full_name(self) -> str:
        """Family, middle and given name."""
        return f"{self.family_name} {self.middle_name} {self.given_name}"

    @property
    def age(self) -> int:
        """Age in whole years on the reference date."""
        born = self.birth_date
        before_birthday = (REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day)
        return REFERENCE_DATE.year - born.year - int(before_birthday)


@dataclass
class HouseholdDraft:
    """A household: members in index order (the head first), its place, ethnicity and religion."""

    district: District
    ward: tuple[str, str]
    detail: str
    ethnicity: str
    religion: str
    members: list[MemberDraft] = field(default_factory=list)


def household_sizes(rng: random.Random, people: int, households: int) -> list[int]:
    """Split `people` into `households` sizes of 1-6, drawn from census-like shares then evened out."""
    sizes = [int(HOUSEHOLD_SIZES.draw(rng)) for _ in range(households)]
    while (total := sum(sizes)) != people:
        step = 1 if total < people else -1
        candidates = [i for i, size in enumerate(sizes) if 1 <= size + step <= MAX_HOUSEHOLD]
        sizes[rng.choice(candidates)] += step
    return sizes


def _birth_date(rng: random.Random, age: int) -> date:
    # Born on a random day of the year that makes them `age` on the reference date.
    year = REFERENCE_DATE.year - 1 - age
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def draw_household(rng: random.Random, size: int, home_province: str) -> HouseholdDraft:
    """A household of `size` people (head first), coherent in ages, names, sexes and marriages."""
    district = draw_home_district(rng)
    ward = rng.choice(district.wards)
    street = rng.choice(district.streets)
    detail = f"Số {rng.randint(1, 250)}, ngõ {rng.randint(1, 400)}, {street}"
    if district.name.startswith("Huyện"):
        detail = f"Số nhà {rng.randint(1, 180)}, {street}"
    draft = HouseholdDraft(district, ward, detail, ETHNICITIES.draw(rng), RELIGIONS.draw(rng))
    _Builder(rng, draft, home_province).build(size)
    _separate_same_year_twins(draft.members)
    return draft


class _Builder:
    """Fills a household draft: head, maybe spouse, maybe the head's parents, then children."""

    def __init__(self, rng: random.Random, draft: HouseholdDraft, home: str) -> None:
        self.rng, self.draft, self.home = rng, draft, home

    def origin(self, migrant_share: float) -> str:
        return MIGRANT_ORIGINS.draw(self.rng) if self.rng.random() < migrant_share else self.home

    def person(self, relation: str, sex: Sex, age: int, family: str, marital: str, home: str) -> MemberDraft:
        born = _birth_date(self.rng, max(0, min(age, 103)))
        rng = self.rng
        member = MemberDraft(
            relation, sex, born, home, family, draw_middle_name(rng, sex, born.year),
            draw_given_name(rng, sex), marital, BLOOD_TYPES.draw(rng), rng.random() < 0.06,
        )  # fmt: skip
        self.draft.members.append(member)
        return member

    def build(self, size: int) -> None:
        rng = self.rng
        couple = size >= 2 and rng.random() < 0.86
        with_parents = size >= 4 and rng.random() < 0.3
        parents = (2 if rng.random() < 0.55 else 1) if with_parents else 0
        parents = min(parents, size - 1 - int(couple))
        children = size - 1 - int(couple) - parents
        head_sex: Sex = "M" if rng.random() < (0.74 if couple else 0.45) else "F"
        oldest_child = rng.randint(2 * (children - 1), 28) if children else -1
        if children:  # the mother had her first child at 19-33
            wife_age = oldest_child + rng.randint(19, 33)
        else:
            wife_age = max(ADULT_AGE, int(_LONE_AGES.draw(rng)) + rng.randint(-4, 6))
        if parents:  # the head's parents must still be alive
            wife_age = min(wife_age, max(oldest_child + 19, 52))
        husband_age = wife_age + rng.randint(0, 6)
        head_age, spouse_age = (husband_age, wife_age) if head_sex == "M" else (wife_age, husband_age)
        marital = m.MARITAL_MARRIED if couple else self.lone_marital(head_age, children)
        head_home = self.origin(0.15)
        head = self.person(m.RELATION_HEAD, head_sex, head_age, draw_family_name(rng), marital, head_home)
        father_family = head.family_name if head_sex == "M" else draw_family_name(rng)
        if couple:
            spouse_sex: Sex = "F" if head_sex == "M" else "M"
            relation = m.RELATION_WIFE if spouse_sex == "F" else m.RELATION_HUSBAND
            spouse_family, spouse_home = draw_family_name(rng), self.origin(0.2)
            spouse = self.person(relation, spouse_sex, spouse_age, spouse_family, marital, spouse_home)
            father_family = spouse.family_name if spouse_sex == "M" else head.family_name
        self.add_parents(head, parents)
        self.add_children(children, oldest_child, father_family)

    def lone_marital(self, age: int, children: int) -> str:
        if children:
            return m.MARITAL_WIDOWED if self.rng.random() < min(0.9, age / 90) else m.MARITAL_DIVORCED
        if age >= 60:
            return m.MARITAL_WIDOWED if self.rng.random() < 0.7 else m.MARITAL_DIVORCED
        return m.MARITAL_SINGLE if self.rng.random() < 0.85 else m.MARITAL_DIVORCED

    def add_parents(self, head: MemberDraft, count: int) -> None:
        if not count:
            return
        marital = m.MARITAL_MARRIED if count == 2 else m.MARITAL_WIDOWED
        home = head.birth_province
        father_first = count == 2 or self.rng.random() < 0.35
        if father_first:
            age = head.age + self.rng.randint(22, 34)
            self.person(m.RELATION_FATHER, "M", age, head.family_name, marital, home)
        if count == 2 or not father_first:
            age = head.age + self.rng.randint(20, 30)
            self.person(m.RELATION_MOTHER, "F", age, draw_family_name(self.rng), marital, home)

    def add_children(self, count: int, oldest: int, family: str) -> None:
        age = oldest
        for born_after in range(count - 1, -1, -1):
            sex: Sex = "M" if self.rng.random() < 0.52 else "F"
            marital = m.MARITAL_SINGLE if age < 22 or self.rng.random() < 0.9 else m.MARITAL_DIVORCED
            self.person(m.RELATION_CHILD, sex, age, family, marital, self.origin(0.04))
            # Leave at least a year for each younger sibling still to come.
            age -= self.rng.randint(1, max(1, min(5, age - (born_after - 1))))


def _separate_same_year_twins(members: list[MemberDraft]) -> None:
    """Keep (birth province, sex, birth year) unique inside a household: ID numbers depend on it."""
    seen: set[tuple[str, Sex, int]] = set()
    for member in members:
        while (member.birth_province, member.sex, member.birth_date.year) in seen:
            born = member.birth_date  # one year older: never into the future, never into a parent's year
            member.birth_date = born.replace(year=born.year - 1, day=min(born.day, 28))
        seen.add((member.birth_province, member.sex, member.birth_date.year))
