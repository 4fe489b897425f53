"""People of a small seeded population for the agency mocks' and adapters' tests: a mother and her
newborn (registered as the civil registry would), adults, an old person, a child of six or more."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from services.citizens import Citizen, Population
from vn_calendar import vietnam_today

SIZE = 3000


def age(person: Citizen, on: date) -> int:
    born = person.birth_date
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def first(population: Population, fits: Callable[[Citizen], bool], skip: set[str] | None = None) -> Citizen:
    """The first person of the population that fits (and is not in `skip`)."""
    for index in range(len(population)):
        person = population.citizen(population.id_at(index))
        if person is not None and person.id_number not in (skip or set()) and fits(person):
            return person
    raise LookupError("nobody fits")


@dataclass
class Family:
    """A mother, her household's head, her newborn (born `days_old` days ago) and other people."""

    population: Population
    mother: Citizen
    head: Citizen
    child: Citizen
    elder: Citizen  # 85 or older
    adult: Citizen  # another adult, 30-60
    school_child: Citizen  # 6 to 12 years old


@lru_cache(maxsize=4)
def _chosen(today: date) -> tuple[str, str, str, str]:
    """ID numbers of the mother, elder, adult and school child (the search is the slow part: done once)."""
    population = Population(seed=2023, size=SIZE)
    mother = first(
        population,
        lambda c: c.sex == "F" and 20 <= age(c, today) <= 40 and c.household.relation in ("CH01", "CH02"),
    )
    taken = {mother.id_number, mother.household.head_id_number}
    elder = first(population, lambda c: age(c, today) >= 85, taken)
    adult = first(population, lambda c: 30 <= age(c, today) <= 60, taken)
    school_child = first(population, lambda c: 6 <= age(c, today) <= 12, taken)
    return mother.id_number, elder.id_number, adult.id_number, school_child.id_number


def _known(population: Population, id_number: str) -> Citizen:
    person = population.citizen(id_number)
    assert person is not None
    return person


def family(today: date | None = None, days_old: int = 3) -> Family:
    """A fresh population (seed 2023) with a newborn registered into it."""
    population = Population(seed=2023, size=SIZE)
    today = today or vietnam_today()
    mother_id, elder_id, adult_id, school_child_id = _chosen(today)
    mother = _known(population, mother_id)
    head = population.citizen(mother.household.head_id_number)
    assert head is not None
    born = today - timedelta(days=days_old)
    number = population.issue_id("031", "M", born.year)
    child = population.register_newborn(
        family_name=head.family_name if head.sex == "M" else mother.family_name,
        middle_name="Minh",
        given_name="Khôi",
        sex="M",
        birth_date=born,
        mother_id=mother.id_number,
        id_number=number,
    )
    return Family(
        population=population,
        mother=mother,
        head=head,
        child=child,
        elder=_known(population, elder_id),
        adult=_known(population, adult_id),
        school_child=_known(population, school_child_id),
    )
