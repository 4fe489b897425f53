"""No one's death is drawn twice in a journey run: not by one user, not by two users of a Locust process,
not by users of two workers (each draws from its own share of the population and claims whom it drew)."""

from __future__ import annotations

import random

from loadtests.scenarios.base import Draw, Share, user_tag
from loadtests.scenarios.journeys import JOURNEY_SCENARIOS
from services.citizens import Population

SMALL_TOWN = Population(size=5_000)  # ≈ 90 insured elders: repeats are likely within 24 deaths if allowed


def _deceased(draw: Draw, deaths: int) -> list[str]:
    draw_inputs = JOURNEY_SCENARIOS["death"].inputs
    assert draw_inputs is not None
    return [str(draw_inputs(draw)["deceased"]["id_number"]) for _ in range(deaths)]  # type: ignore[index]


def test_two_workers_draw_the_deaths_from_their_own_shares_and_claim_them() -> None:
    by_worker: dict[int, list[str]] = {}
    for worker in (0, 1):
        claimed_in_worker: set[str] = set()  # one per process: a worker knows nothing of the other's
        by_worker[worker] = []
        for _ in range(2):
            tag = user_tag("j", worker)
            draw = Draw(random.Random(f"7-{tag}"), SMALL_TOWN, tag, Share(worker, 2), claimed_in_worker)
            by_worker[worker] += _deceased(draw, 6)
        assert all(Share(worker, 2).holds(number) for number in by_worker[worker])
        assert set(by_worker[worker]) <= claimed_in_worker
    ids = by_worker[0] + by_worker[1]
    assert len(set(ids)) == len(ids) == 24
