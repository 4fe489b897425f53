"""A draw judged on people's identities (`Draw.identity`, `Draw.unclaimed_identity`) takes the same people
as one judged on their whole records, and gives their ID numbers and data as the records have them."""

from __future__ import annotations

import random
from datetime import date

from loadtests.scenarios.base import Draw, Person, Share
from loadtests.scenarios.civil import may_marry
from services.citizens import Population

TOWN = Population(size=4_000)
TODAY = date(2026, 6, 15)


def _adult(person: Person) -> bool:
    return person.birth_date <= date(2008, 6, 15)


def _adult_woman(person: Person) -> bool:
    return person.sex == "F" and _adult(person)


def _draws(seed: int) -> tuple[Draw, Draw]:
    return Draw(random.Random(seed), TOWN, "u1", Share(1, 2), set()), Draw(
        random.Random(seed), TOWN, "u1", Share(1, 2), set()
    )


def test_an_identity_draw_takes_the_people_a_record_draw_takes_with_their_data() -> None:
    by_record, by_identity = _draws(5)
    for accept in [lambda _: True, _adult] * 100:
        citizen = by_record.citizen(accept)
        number, identity = by_identity.identity(accept)
        assert number == citizen.id_number
        assert (identity.full_name, identity.birth_date, identity.sex, identity.marital_status) == (
            citizen.full_name,
            citizen.birth_date,
            citizen.sex,
            citizen.marital_status,
        )


def test_an_unclaimed_identity_draw_takes_and_claims_the_people_a_record_draw_takes() -> None:
    by_record, by_identity = _draws(11)
    for sex, youngest in [("M", 20), ("F", 18)] * 30:
        accept, likely = may_marry(sex, youngest, TODAY)
        citizen = by_record.unclaimed_citizen(accept, likely=likely)
        number, identity = by_identity.unclaimed_identity(accept, likely=likely)
        assert (number, identity.full_name, identity.birth_date) == (
            citizen.id_number,
            citizen.full_name,
            citizen.birth_date,
        )
    assert by_identity.claimed == by_record.claimed
    assert len(by_identity.claimed) == 60


def test_a_record_drawn_on_its_identity_is_the_one_drawn_on_the_record() -> None:
    by_record, by_identity = _draws(17)
    mothers = [by_record.citizen(lambda c: c.sex == "F" and _adult(c)) for _ in range(100)]
    assert [
        by_identity.citizen_by_identity(lambda c: c.sex == "F" and _adult(c)) for _ in range(100)
    ] == mothers
