"""Citizens' journeys started through `POST /journeys/{kind}` and followed with `GET /journeys/{id}`.

Each kind's inputs are the one-stop's pre-filled form (services/journey_forms.py) for a citizen drawn
from the seeded population: a mother for a birth, an insured elder (declared by the household's head)
for a death. An ordinary dossier and a judicial-record certificate request (no. 1 or 2, by VNPost or at
the counter) start the way a citizen's online dossier does: a citizen files it on the portal mock
(`POST {portal}/_control/portal/traffic/file`), which draws the citizen from the same seeded population,
records the dossier in its own book (so the province's progress reports on it are accepted) and hands it
to the province; its answer carries the gateway's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loadtests.scenarios.base import Draw
from services.journey_forms import (
    BIRTH_LEGS,
    DEATH_LEGS,
    birth_inputs,
    death_inputs,
    insured_elder,
    is_mother,
)
from vn_calendar import vietnam_today

ENDED = ("completed", "refused", "parked")
ELDER_DRAWS = 4000  # insured elders not heading their household are ≈ 1 in 1,000 of the population


PORTAL_FILE = "/_control/portal/traffic/file"  # the portal mock's route: one citizen files one dossier now


@dataclass(frozen=True)
class JourneyScenario:
    """A journey kind and how a citizen's inputs for it are drawn: here (posted to the gateway), or, with
    `inputs` None, by the portal mock a citizen files the dossier on."""

    kind: str
    inputs: Callable[[Draw], dict[str, Any]] | None = None


def _birth(draw: Draw) -> dict[str, Any]:
    day = vietnam_today()
    # A mother may be drawn again, by any user: each birth registers a new child (a new ID number).
    mother = draw.citizen(lambda person: is_mother(person, day))
    legs = draw.rng.choice([BIRTH_LEGS, ("residence",), ("insurance",)])
    return birth_inputs(
        draw.population, today=day, legs=legs, mother_id=mother.id_number,
        sex=draw.rng.choice(["male", "female"]), entry_number=draw.rng.randint(1, 9999),
    )  # fmt: skip


def _death(draw: Draw) -> dict[str, Any]:
    day = vietnam_today()
    fits = insured_elder(draw.population, day)
    # Unclaimed: nobody dies twice in a run, whichever worker drew them (the registry refuses a second
    # death; ≈ 2,000 insured elders make a repeat likely within a hundred deaths).
    deceased = draw.unclaimed_citizen(fits, ELDER_DRAWS)
    legs = draw.rng.choice([DEATH_LEGS, ("residence",), ("residence", "funeral")])
    return death_inputs(
        draw.population, today=day, legs=legs, deceased_id=deceased.id_number,
        entry_number=draw.rng.randint(1, 9999),
    )  # fmt: skip


BIRTH_JOURNEY = JourneyScenario("birth", _birth)
DEATH_JOURNEY = JourneyScenario("death", _death)
DOSSIER_JOURNEY = JourneyScenario("dossier")  # filed on the portal
LLTP_JOURNEY = JourneyScenario("lltp")  # filed on the portal
JOURNEY_SCENARIOS: dict[str, JourneyScenario] = {
    s.kind: s for s in (BIRTH_JOURNEY, DEATH_JOURNEY, DOSSIER_JOURNEY, LLTP_JOURNEY)
}


def drawn(split: dict[str, float]) -> dict[str, float]:
    """The kinds of the split the load test starts, by weight (those with a share)."""
    return {kind: share for kind, share in split.items() if share > 0}
