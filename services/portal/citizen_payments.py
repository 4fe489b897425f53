"""Citizens paying their dossiers' fees on the payment platform's page, as the portal shows them the link:
a progress update with status 6 and `UrlThanhToan` (the province asks for the fee) puts the payment in
the citizen's hands, and the citizen submits the page later, in simulated working time.

Each link's payer is drawn from (seed, dossier number, how many links that dossier had), so a run is
repeatable: most pay within 5 minutes to 3 working hours; `late_rate` pay one to two working days later
(after the province stopped waiting for the confirmation: it reconciles by query); `failed_rate` see
their payment fail and `abandoned_rate` cancel it (the province asks again with a new link, which is
drawn afresh). A citizen whose page fails to answer (no answer, or a 5xx) submits it again
`RETRY_AFTER` of working time later, `TRIES` times in all (the platform refuses to complete a payment
twice, so a retry after a page that acted but failed to say so captures nothing more).

    payments = CitizenPayments(clock, seed=2023, rates=PayerRates(late=0.08, failed=0.05, abandoned=0.02))
    payments.owe("H31.29-20261207-0001", "http://127.0.0.1:8103/pay/3f…")
    await payments.pay_due()      # what the simulated clock has made due (the loop calls it)
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import httpx
from pydantic import BaseModel, Field

from services.clock import VIETNAM_TIME, SimulatedClock
from vn_calendar import WorkingCalendar

log = logging.getLogger(__name__)

Behaviour = Literal["on_time", "late", "failed", "abandoned"]
OUTCOMES: dict[Behaviour, str] = {"on_time": "success", "late": "success", "failed": "fail",
                                  "abandoned": "abandon"}  # fmt: skip
_CALENDAR = WorkingCalendar()
RETRY_AFTER = timedelta(minutes=15)
TRIES = 3


@dataclass(frozen=True)
class PayerRates:
    """Shares of payers who pay late, whose payment fails, who cancel it (the rest pay promptly)."""

    late: float = 0.08
    failed: float = 0.05
    abandoned: float = 0.02


@dataclass(frozen=True)
class Payer:
    """One citizen with one payment link: what they will do, and when (simulated epoch seconds)."""

    dossier: str
    url: str
    behaviour: Behaviour
    at: float
    tries: int = 1  # how many times the page will have been submitted, this one included


class PaymentsStatus(BaseModel):
    """The links handed to citizens, the payments they made by behaviour, and the platform's answers
    (by HTTP status, or `error:<kind>` when none came)."""

    owed: int
    waiting: int
    paid: dict[str, int] = Field(description="payments made, by behaviour: on_time, late, failed, abandoned")
    answers: dict[str, int]


def draw_payer(seed: int, dossier: str, url: str, attempt: int, rates: PayerRates, now: float) -> Payer:
    """The citizen's behaviour with the `attempt`-th link of `dossier` given at `now`."""
    rng = random.Random(f"{seed}:pay:{dossier}:{attempt}")
    draw = rng.random()
    if draw < rates.failed:
        behaviour: Behaviour = "failed"
    elif draw < rates.failed + rates.abandoned:
        behaviour = "abandoned"
    elif draw < rates.failed + rates.abandoned + rates.late:
        behaviour = "late"
    else:
        behaviour = "on_time"
    if behaviour == "late":
        delay = _CALENDAR.working_day_length * rng.uniform(1.0, 2.0)
    else:
        delay = timedelta(minutes=rng.uniform(5, 180))
    at = _CALENDAR.add_working_time(datetime.fromtimestamp(now, VIETNAM_TIME), delay)
    return Payer(dossier, url, behaviour, at.timestamp())


class CitizenPayments:
    """Payment links owed by citizens, paid on the platform's page when their time comes."""

    def __init__(
        self,
        clock: SimulatedClock,
        *,
        seed: int,
        rates: PayerRates,
        capacity: int,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.clock = clock
        self._seed, self._rates, self._capacity = seed, rates, capacity
        self._transport, self._timeout = transport, timeout_s
        self._client: httpx.AsyncClient | None = None
        self._waiting: list[tuple[float, int, Payer]] = []
        self._order = itertools.count()
        self._links: Counter[str] = Counter()
        self._paid: Counter[str] = Counter()
        self._answers: Counter[str] = Counter()
        self._loop: asyncio.Task[None] | None = None

    def owe(self, dossier: str, url: str) -> Payer | None:
        """A citizen is shown `url` to pay the fee of `dossier` (None when too many wait already)."""
        if len(self._waiting) >= self._capacity:
            log.warning(
                "portal citizens: %s's payment link dropped, %d already waiting", dossier, self._capacity
            )
            self._answers["error:TooManyWaiting"] += 1
            return None
        self._links[dossier] += 1
        payer = draw_payer(self._seed, dossier, url, self._links[dossier], self._rates, self.clock.now())
        heapq.heappush(self._waiting, (payer.at, next(self._order), payer))
        return payer

    def status(self) -> PaymentsStatus:
        """What was owed and paid so far."""
        return PaymentsStatus(
            owed=sum(self._links.values()),
            waiting=len(self._waiting),
            paid=dict(sorted(self._paid.items())),
            answers=dict(sorted(self._answers.items())),
        )

    async def pay_due(self) -> int:
        """Submit every payment page whose time has come; returns how many."""
        due: list[Payer] = []
        now = self.clock.now()
        while self._waiting and self._waiting[0][0] <= now:
            due.append(heapq.heappop(self._waiting)[2])
        await asyncio.gather(*(self._pay(payer) for payer in due))
        return len(due)

    async def _pay(self, payer: Payer) -> None:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        try:
            answer = await self._client.post(payer.url, data={"outcome": OUTCOMES[payer.behaviour]})
        except httpx.HTTPError as error:
            self._answers[f"error:{type(error).__name__}"] += 1
            log.warning("portal citizens: paying %s failed: %s", payer.dossier, error)
            self._try_again(payer)
            return
        self._answers[str(answer.status_code)] += 1
        if answer.status_code == 200:
            self._paid[payer.behaviour] += 1
            return
        log.warning("portal citizens: the page of %s answered %s", payer.dossier, answer.status_code)
        if answer.status_code >= 500:
            self._try_again(payer)

    def _try_again(self, payer: Payer) -> None:
        """The citizen submits the page again `RETRY_AFTER` later, unless that was the last try."""
        if payer.tries >= TRIES:
            return
        at = _CALENDAR.add_working_time(datetime.fromtimestamp(self.clock.now(), VIETNAM_TIME), RETRY_AFTER)
        again = replace(payer, at=at.timestamp(), tries=payer.tries + 1)
        heapq.heappush(self._waiting, (again.at, next(self._order), again))

    def start(self, tick_s: float) -> None:
        """Pay what comes due every `tick_s` real seconds."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(tick_s), name="portal-citizen-payments")

    async def _run(self, tick_s: float) -> None:
        while True:
            await asyncio.sleep(tick_s)
            await self.pay_due()

    async def close(self) -> None:
        """Stop paying and close the HTTP client."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._client is not None:
            await self._client.aclose()
