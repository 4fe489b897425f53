"""Citizens filing interconnected dossiers on the portal, which hands each to the province as it is filed:
`POST {gateway}/journeys/{procedure}` as the portal's client, at a rate per procedure. An ordinary dossier
(`dossier`) or a judicial-record certificate request (`lltp`) is first filed in the portal's own book
(status 1, its fee listed), so the province's progress reports on it are accepted there.

    traffic = CitizenTraffic(settings, draws)
    await traffic.start({"birth": 2, "dossier": 20})   # dossiers per minute; again to change the rates
    await traffic.pump(30.0)                         # what 30 s at these rates files (the loop calls it)
    await traffic.stop()                             # the sends in flight finish first

Rates are kept as credit: each procedure earns rate × elapsed dossiers and files the whole ones, carrying
the fraction over, so a run files what its rates say over any interval, whatever the tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime

import httpx
from pydantic import BaseModel, Field, JsonValue

from services.journey_forms import JourneyRequestError
from services.portal.citizen_draws import CitizenDraws, NoFittingCitizen
from services.portal.interconnected import VIETNAM
from services.portal.progress import DossierBook
from services.portal.settings import PROCEDURES, PortalSettings, Procedure
from vn_calendar import vietnam_today

log = logging.getLogger(__name__)


class TrafficRates(BaseModel):
    """Dossiers per minute for each procedure (a procedure left out files none)."""

    rates_per_minute: dict[Procedure, float] = Field(description="e.g. {birth: 2, death: 0.5}")


class FileRequest(BaseModel):
    """One dossier to file now."""

    procedure: Procedure


class TrafficStatus(BaseModel):
    """Whether the citizens file, how fast, and what the gateway answered so far (by HTTP status, or
    `error:<kind>` when no answer came)."""

    running: bool
    rates_per_minute: dict[Procedure, float]
    filed: dict[Procedure, int]
    answers: dict[Procedure, dict[str, int]]
    dossiers: list[str] = Field(description="the latest dossier codes handed in, newest last")


class FiledDossier(BaseModel):
    """One dossier filed and handed to the province: the gateway's answer (None when none came)."""

    procedure: Procedure
    dossier_code: str
    status_code: int | None = None
    answer: JsonValue = None


def check_rates(rates: TrafficRates, settings: PortalSettings) -> str | None:
    """Why the rates cannot be used, or None."""
    for procedure, rate in rates.rates_per_minute.items():
        if not 0 <= rate <= settings.max_traffic_per_minute:
            return f"{procedure}: a rate is 0 to {settings.max_traffic_per_minute} dossiers per minute"
    return None


class CitizenTraffic:
    """Files dossiers of drawn citizens at rates per procedure while started."""

    RECENT = 50

    def __init__(
        self,
        settings: PortalSettings,
        draws: CitizenDraws,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        today: Callable[[], date] = vietnam_today,
        now: Callable[[], datetime] = lambda: datetime.now(VIETNAM),
        book: DossierBook | None = None,
    ) -> None:
        """`today`: the filing day of a birth or a death (the civil registry's, the real one); `now`: when
        an ordinary dossier or a certificate request is received (the simulated time the bus leads, so
        that its appointment is not already past for the agencies following the same clock)."""
        self.settings = settings
        self.draws = draws
        self.book = book if book is not None else DossierBook(settings.max_dossiers)
        self._today = today
        self._now = now
        self._transport = transport
        self._client = self._new_client()
        self._rates: dict[Procedure, float] = {}
        self._credit: dict[Procedure, float] = dict.fromkeys(PROCEDURES, 0.0)
        self._filed: Counter[Procedure] = Counter()
        self._answers: dict[Procedure, Counter[str]] = {p: Counter() for p in PROCEDURES}
        self._recent: list[str] = []
        self._serial = 0
        self._run_tag = datetime.now(VIETNAM).strftime("%Y%m%d%H%M%S")
        self._slots = asyncio.Semaphore(settings.max_in_flight)
        self._sends: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the filing loop runs."""
        return self._loop is not None

    def status(self) -> TrafficStatus:
        """The rates in force and the tally so far."""
        return TrafficStatus(
            running=self.running,
            rates_per_minute=dict(self._rates),
            filed={p: self._filed[p] for p in PROCEDURES},
            answers={p: dict(sorted(self._answers[p].items())) for p in PROCEDURES},
            dossiers=list(self._recent),
        )

    async def start(self, rates: Mapping[Procedure, float], *, loop: bool = True) -> None:
        """File at `rates` from now on (started, or the rates changed); `loop=False` leaves the timing to
        calls of `pump` (tests)."""
        self._rates = {p: r for p, r in rates.items() if r > 0}
        if loop and self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="portal-citizen-traffic")

    async def stop(self) -> None:
        """Stop filing; the sends in flight finish (or time out) before this returns."""
        self._rates = {}
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport, timeout=httpx.Timeout(self.settings.request_timeout_s)
        )

    async def close(self) -> None:
        """Stop, then close the HTTP client (a later filing opens a new one: the app can start again)."""
        await self.stop()
        await self._client.aclose()

    async def pump(self, elapsed: float) -> int:
        """File what `elapsed` seconds at the rates in force earn; returns how many were handed to sends."""
        started = 0
        for procedure, rate in list(self._rates.items()):
            self._credit[procedure] += rate * elapsed / 60.0
            due = int(self._credit[procedure])
            self._credit[procedure] -= due
            for _ in range(due):
                await self._slots.acquire()
                task = asyncio.create_task(self._file(procedure))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
                started += 1
        return started

    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.traffic_tick_seconds)
            now = time.monotonic()
            await self.pump(now - last)
            last = now

    async def file_one(self, procedure: Procedure) -> FiledDossier | None:
        """File one dossier of `procedure` now, besides the rates (a load test's citizen); None when no
        citizen fitted (logged and counted)."""
        async with self._slots:
            return await self._file_dossier(procedure)

    async def _file(self, procedure: Procedure) -> None:
        try:
            await self._file_dossier(procedure)
        finally:
            self._slots.release()

    async def _file_dossier(self, procedure: Procedure) -> FiledDossier | None:
        code = f"{self.settings.agency_code}.LT-{self._run_tag}-{self._serial + 1:06d}"
        try:
            inputs = self._form(procedure, code)
        except (NoFittingCitizen, JourneyRequestError) as error:
            log.warning("portal traffic: no %s dossier filed: %s", procedure, error)
            self._answers[procedure]["error:NoFittingCitizen"] += 1
            return None
        self._serial += 1
        self._filed[procedure] += 1
        self._recent = [*self._recent[-(self.RECENT - 1) :], code]
        return await self._hand_in(procedure, code, inputs)

    def _form(self, procedure: Procedure, code: str) -> dict[str, JsonValue]:
        """The journey inputs of dossier `code`; an ordinary dossier or a certificate request is filed in
        the portal's book first (the province reports its progress there)."""
        if procedure == "birth" or procedure == "death":
            return self.draws.form(procedure, self._today())
        filed = self.draws.dossier if procedure == "dossier" else self.draws.certificate
        record, inputs = filed(code, self._now(), self.settings.agency_code)
        self.book.add(record)
        return inputs

    async def _hand_in(self, procedure: Procedure, code: str, inputs: object) -> FiledDossier:
        url = f"{self.settings.gateway_url.rstrip('/')}/journeys/{procedure}"
        headers = {
            "X-Road-Client": self.settings.client_id,
            "X-Api-Key": self.settings.api_key.get_secret_value(),
        }
        filed = FiledDossier(procedure=procedure, dossier_code=code)
        if self._client.is_closed:
            self._client = self._new_client()
        try:
            response = await self._client.post(
                url, json={"dossier_code": code, "inputs": inputs}, headers=headers
            )
        except httpx.HTTPError as error:
            self._answers[procedure][f"error:{type(error).__name__}"] += 1
            return filed
        self._answers[procedure][str(response.status_code)] += 1
        if response.status_code >= 400:
            log.warning("portal traffic: %s %s answered %s: %s", procedure, code,
                        response.status_code, response.text[:300])  # fmt: skip
        filed.status_code = response.status_code
        with contextlib.suppress(ValueError):
            filed.answer = response.json()
        return filed
