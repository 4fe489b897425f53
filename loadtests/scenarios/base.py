"""What a scenario is: a generator of HTTP steps against the gateway, each with its content check.

A scenario yields `Step`s; the locustfile sends each and sends the decoded JSON answer back into the
generator, so a later step (a payment's status query) can use an earlier answer. A failed step ends the
iteration (`play`): the refusal is counted once, not again by a step that needed its answer.
"""

from __future__ import annotations

import random
import string
import time
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any, Protocol, TypeVar

from services.citizens import Citizen, Identity, IdParts, Population, parse_id_number

# A check returns None when the answer is right, else what is wrong with it.
Check = Callable[[Any], str | None]
_USERS_OF_THIS_PROCESS = count(1)
P = TypeVar("P")


def _started_token(now: float) -> str:
    """`now` in tenths of a second, in six base-36 digits (they cycle every 6.9 years)."""
    digits, tenths = "", int(now * 10)
    for _ in range(6):
        tenths, digit = divmod(tenths, 36)
        digits = (string.digits + string.ascii_lowercase)[digit] + digits
    return digits


# When this process started its run: in every `Draw.unique` number, so a second run against the same stack
# (whose mocks keep the first run's dossiers, payments and orders) never sends a number the first one used.
RUN_TOKEN = _started_token(time.time())


class Person(Protocol):
    """What a draw's condition reads of someone: a `Citizen` and an `Identity` both have it."""

    @property
    def full_name(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def sex(self) -> str: ...
    @property
    def marital_status(self) -> str: ...


@dataclass(frozen=True)
class Step:
    """One call through the gateway (`/r1/<service>/<path>`, JSON); with `direct_url`, a form post to a
    provider's page; with `portal_path`, a JSON post to the portal mock's own API (not the bus); and how
    to judge the answer (decoded JSON, or text for a page)."""

    service_code: str
    body: dict[str, Any] | None
    check: Check
    method: str = "POST"
    path: str = ""
    direct_url: str | None = None  # the payer's browser calling a provider page, not the bus
    form: dict[str, str] | None = None
    portal_path: str | None = None  # on the portal mock the run plays the sending side of


Steps = Generator[Step, Any, None]


@dataclass(frozen=True)
class Scenario:
    """A named user action (one or more steps) and the service codes it needs in the catalog; with
    `goes_on_after_failure` its later steps are sent after a failed one, which gets None back; with
    `needs_portal` it also calls the portal mock (a step with `portal_path`)."""

    name: str
    services: tuple[str, ...]
    run: Callable[[Draw], Steps]
    goes_on_after_failure: bool = False
    needs_portal: bool = False


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


@dataclass(frozen=True)
class Share:
    """This Locust process's share of the population for people a run may change only once (a marriage, a
    death): share `index` of `count`, disjoint from every other process's (the worker's index of the
    master's worker count; 0 of 1 when alone)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(
                f"share {self.index} is outside the {self.count} shares of the population: a Locust "
                "worker's index must be below the worker count (--lgsp-workers, by default the master's "
                "--expect-workers)"
            )

    def holds(self, id_number: str) -> bool:
        """Whether the person with this ID number is in this share."""
        return zlib.crc32(id_number.encode()) % self.count == self.index


# ID numbers some user of this process has drawn for a change that may happen once in a run.
_CLAIMED_IN_THIS_PROCESS: set[str] = set()


@dataclass
class Draw:
    """Deterministic randomness for one simulated user: its rng, the shared population, unique numbers;
    the people it and the other users of its process claimed, and its process's share of the population."""

    rng: random.Random
    population: Population
    user_tag: str
    share: Share = Share()
    claimed: set[str] = field(default_factory=lambda: _CLAIMED_IN_THIS_PROCESS)
    _serial: count[int] = field(default_factory=lambda: count(1))

    def citizen(self, accept: Callable[[Citizen], bool] = lambda _: True, tries: int = 400) -> Citizen:
        """A citizen of the seeded population that `accept` likes (the mocks know every one of them)."""
        return _drawn_one(
            self.population.citizen, self._drawn(_fits(self.population.citizen, accept), tries, None)
        )

    def citizen_by_identity(self, accept: Callable[[Identity], bool], tries: int = 400) -> Citizen:
        """As `citizen`, with `accept` judging identities: the whole record is derived for the one taken
        only, for a condition that reads no more than an identity (see `identity`)."""
        return _drawn_one(
            self.population.citizen, self._drawn(_fits(self.population.identity, accept), tries, None)
        )

    def identity(
        self, accept: Callable[[Identity], bool] = lambda _: True, tries: int = 400
    ) -> tuple[str, Identity]:
        """The ID number and identity of a citizen that `accept` likes, for a scenario that reads no more
        of them (no relatives, addresses or household): each candidate costs half a whole record."""
        number = self._drawn(_fits(self.population.identity, accept), tries, None)
        return number, _drawn_one(self.population.identity, number)

    def unclaimed_citizen(
        self,
        accept: Callable[[Citizen], bool],
        tries: int = 400,
        likely: Callable[[IdParts], bool] | None = None,
    ) -> Citizen:
        """A citizen `accept` likes whom no user of the run drew here before, e.g. to marry or to die: one
        of this process's share of the population, not claimed by a user of this process; claimed now (for
        good, whatever becomes of the request: a timed-out one may have been registered). `likely` rules a
        candidate out from its ID number (birth province, sex and year) before it is derived: it must
        let through everyone `accept` would take, so the draw is the same, only cheaper."""
        return _drawn_one(
            self.population.citizen, self._claimed(_fits(self.population.citizen, accept), tries, likely)
        )

    def unclaimed_identity(
        self,
        accept: Callable[[Identity], bool],
        tries: int = 400,
        likely: Callable[[IdParts], bool] | None = None,
    ) -> tuple[str, Identity]:
        """As `unclaimed_citizen`, judged and answered on the identity (see `identity`)."""
        number = self._claimed(_fits(self.population.identity, accept), tries, likely)
        return number, _drawn_one(self.population.identity, number)

    def _claimed(
        self, fits: Callable[[str], bool], tries: int, likely: Callable[[IdParts], bool] | None
    ) -> str:
        def among(number: str) -> bool:
            return (
                number not in self.claimed
                and self.share.holds(number)
                and (likely is None or likely(parse_id_number(number)))
            )

        number = self._drawn(fits, tries * self.share.count, among)
        self.claimed.add(number)
        return number

    def _drawn(self, fits: Callable[[str], bool], tries: int, among: Callable[[str], bool] | None) -> str:
        # Up to `tries` distinct people, drawn one at a time: a draw pays only for the candidates it looks
        # at, not for 400 indices drawn first. `among` sees a candidate's ID number before `fits` derives
        # anything (the population keeps the households last drawn: deriving after `id_at` reuses it).
        size = len(self.population)
        tries = min(tries, size)
        seen: set[int] = set()
        for _ in range(tries):
            index = self.rng.randrange(size)
            while index in seen:
                index = self.rng.randrange(size)
            seen.add(index)
            number = self.population.id_at(index)
            if (among is None or among(number)) and fits(number):
                return number
        raise LookupError(f"no citizen met the condition in {tries} draws")

    def unique(self, prefix: str) -> str:
        """A number unique to this user and run, and to this run among the runs against one stack, e.g. for
        dossier numbers and payment references."""
        return f"{prefix}-{RUN_TOKEN}{self.user_tag}-{next(self._serial):06d}"


def _fits(derive: Callable[[str], P | None], accept: Callable[[P], bool]) -> Callable[[str], bool]:
    """Whether the person (as `derive` gives them) of an ID number is someone `accept` likes."""

    def fits(number: str) -> bool:
        person = derive(number)
        return person is not None and accept(person)

    return fits


def _drawn_one(derive: Callable[[str], P | None], number: str) -> P:
    """The person of an ID number drawn from the population, so there (memoised since `fits` derived it)."""
    person = derive(number)
    assert person is not None
    return person


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
