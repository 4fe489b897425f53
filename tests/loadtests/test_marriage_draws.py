"""No one is drawn to marry twice in a run: not by one user, not by two users of a Locust process, not by
users of two workers (each draws from its own share of the population)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from loadtests.scenarios.base import Draw, Share, user_tag
from loadtests.scenarios.civil import REGISTER_MARRIAGE, SINGLE, may_marry
from services.citizens import Population, parse_id_number
from vn_calendar import anniversary

SMALL_TOWN = Population(size=4_000)  # ~300 who may marry each way: repeats are certain if allowed


def _spouses(draw: Draw, marriages: int) -> list[str]:
    ids: list[str] = []
    for _ in range(marriages):
        body = next(REGISTER_MARRIAGE.run(draw)).body
        assert body is not None
        ids += [body["husband"]["id_document_number"], body["wife"]["id_document_number"]]
    return ids


def test_users_of_one_process_and_of_two_workers_never_draw_the_same_spouse() -> None:
    ids: list[str] = []
    for worker in (0, 1):
        claimed_in_worker: set[str] = set()  # one per process
        for _ in range(3):
            tag = user_tag("u", worker)
            draw = Draw(random.Random(f"7-{tag}"), SMALL_TOWN, tag, Share(worker, 2), claimed_in_worker)
            ids += _spouses(draw, 25)
    assert len(ids) == 300
    assert len(set(ids)) == len(ids)


def test_users_of_one_process_sharing_a_seed_still_never_draw_the_same_spouse() -> None:
    claimed: set[str] = set()
    first, second = (Draw(random.Random(1), SMALL_TOWN, f"u{n}", claimed=claimed) for n in (1, 2))
    ids = _spouses(first, 10) + _spouses(second, 10)
    assert len(set(ids)) == len(ids) == 40


def test_when_everyone_has_been_drawn_the_draw_fails_instead_of_repeating() -> None:
    hamlet = Population(size=300)
    draw = Draw(random.Random(3), hamlet, "u1", claimed=set())
    ids: list[str] = []
    with pytest.raises(LookupError):
        for _ in range(300):
            ids += _spouses(draw, 1)
    assert len(set(ids)) == len(ids) > 0


def test_a_share_beyond_the_worker_count_is_refused() -> None:
    with pytest.raises(ValueError, match="--lgsp-workers"):
        Share(2, 2)
    assert {Share(i, 3).holds("031090001234") for i in range(3)} == {True, False}


@pytest.mark.parametrize("sex, youngest", [("M", 20), ("F", 18)])
def test_the_id_number_pre_check_lets_through_everyone_who_may_marry(sex: str, youngest: int) -> None:
    people = [SMALL_TOWN.citizen(SMALL_TOWN.id_at(index)) for index in range(len(SMALL_TOWN))]
    # Days near a year's ends, where ages counted in days straddle two birth years.
    for today in (date(2026, 1, 1), date(2026, 6, 15), date(2026, 12, 31)):
        accept, likely = may_marry(sex, youngest, today)
        taken = [person for person in people if accept(person)]
        assert len(taken) > 50
        assert all(likely(parse_id_number(person.id_number)) for person in taken)
        ruled_out = sum(not likely(parse_id_number(person.id_number)) for person in people)
        assert ruled_out > len(people) / 2  # the pre-check saves most derivations


def test_the_id_number_pre_check_changes_no_draw() -> None:
    accept, likely = may_marry("F", 18, date(2026, 6, 15))
    plain, checked = (Draw(random.Random(9), SMALL_TOWN, "u1", Share(0, 2), set()) for _ in range(2))
    drawn = [plain.unclaimed_citizen(accept).id_number for _ in range(40)]
    assert [checked.unclaimed_citizen(accept, likely=likely).id_number for _ in range(40)] == drawn


@pytest.mark.parametrize("sex, youngest", [("M", 20), ("F", 18)])
def test_whom_a_draw_may_marry_is_of_age_as_the_civil_registry_counts_it(sex: str, youngest: int) -> None:
    """Near a birthday an age counted in days of 365 runs ahead of the law's: such a spouse was refused."""
    people = [SMALL_TOWN.citizen(SMALL_TOWN.id_at(index)) for index in range(len(SMALL_TOWN))]
    of_sex = [person for person in people if person.sex == sex and person.marital_status == SINGLE]
    for person in of_sex[:40]:
        birthday = anniversary(person.birth_date, youngest)
        on_the_eve, on_the_day = (
            may_marry(sex, youngest, birthday - timedelta(days=1)),
            may_marry(sex, youngest, birthday),
        )
        assert not on_the_eve[0](person)
        assert on_the_day[0](person)
