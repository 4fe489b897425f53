"""What a scenario is: a generator of HTTP steps against the gateway, each with its content check.

A scenario yields `Step`s; the locustfile sends each and sends the decoded JSON answer back into the
generator, so a later step (a payment's status query) can use an earlier answer. A failed step ends the
iteration (`play`): the refusal is counted once, not again by a step that needed its answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from services.citizens import Citizen, Population

# A check returns None when the answer is right, else what is wrong with it.
Check = Callable[[Any], str | None]
_USERS_OF_THIS_PROCESS = count(1)


@dataclass(frozen=True)
class Step:
    """One call through the gateway (`/r1/<service>/<path>`, JSON) or, with `direct_url`, a form post to a
    provider's page; and how to judge the answer (decoded JSON, or text for a page)."""

    service_code: str
    body: dict[str, Any] | None
    check: Check
    method: str = "POST"
    path: str = ""
    direct_url: str | None = None  # the payer's browser calling a provider page, not the bus
    form: dict[str, str] | None = None


Steps = Generator[Step, Any, None]


@dataclass(frozen=True)
class Scenario:
    """A named user action (one or more steps) and the service codes it needs in the catalog; with
    `goes_on_after_failure` its later steps are sent after a failed one, which gets None back."""

    name: str
    services: tuple[str, ...]
    run: Callable[[Draw], Steps]
    goes_on_after_failure: bool = False


# How a runner sent a step: whether it succeeded (answered and passed its check), and the answer.
Sent = tuple[bool, Any]


def play(scenario: Scenario, draw: Draw, send: Callable[[Step], Sent]) -> None:
    """One iteration of `scenario`: send each step and hand its answer back to the scenario. A failed
    step ends the iteration unless the scenario goes on after failures (it is then handed None)."""
    steps = scenario.run(draw)
    step = next(steps, None)
    while step is not None:
        succeeded, answer = send(step)
        if not succeeded and not scenario.goes_on_after_failure:
            steps.close()
            return
        try:
            step = steps.send(answer if succeeded else None)
        except StopIteration:
            return


@dataclass
class Draw:
    """Deterministic randomness for one simulated user: its rng, the shared population, unique numbers."""

    rng: random.Random
    population: Population
    user_tag: str
    _serial: count[int] = field(default_factory=lambda: count(1))

    def citizen(self, accept: Callable[[Citizen], bool] = lambda _: True, tries: int = 400) -> Citizen:
        """A citizen of the seeded population that `accept` likes (the mocks know every one of them)."""
        for id_number in self.population.sample_ids(tries, self.rng):
            person = self.population.citizen(id_number)
            if person is not None and accept(person):
                return person
        raise LookupError(f"no citizen met the condition in {tries} draws")

    def unique(self, prefix: str) -> str:
        """A number unique to this user and run, e.g. for dossier numbers and payment references."""
        return f"{prefix}-{self.user_tag}-{next(self._serial):06d}"


def user_tag(letter: str, worker_index: int) -> str:
    """A tag no other simulated user of the run holds, e.g. `u00042w1`: the user's rank in this process and
    its Locust worker's index (0 when alone). It seeds the user's draws and its `Draw.unique` numbers, so
    two users sharing one would send the same dossier, payment and order numbers."""
    return f"{letter}{next(_USERS_OF_THIS_PROCESS):05d}w{worker_index}"


def expect_keys(answer: Any, *keys: str) -> str | None:
    """None when `answer` is a JSON object holding every key, else what is missing."""
    if not isinstance(answer, dict):
        return f"answer is not a JSON object: {str(answer)[:80]}"
    missing = [k for k in keys if k not in answer]
    return f"answer lacks {', '.join(missing)}" if missing else None
