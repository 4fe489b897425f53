"""No one is drawn to marry twice in a run: not by one user, not by two users of a Locust process, not by
users of two workers (each draws from its own share of the population)."""

from __future__ import annotations

import random

import pytest

from loadtests.scenarios.base import Draw, Share, user_tag
from loadtests.scenarios.civil import REGISTER_MARRIAGE
from services.citizens import Population

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
