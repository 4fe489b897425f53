"""The province's real journeys (lgsp/journeys birth and death, the residence removals the population's
death feed starts, ordinary dossiers with a fee and postal return, and judicial-record certificates, over
the real adapters and mocks, time compressed) under chaos: journey engines and bus workers killed
mid-journey, the national systems (the payment platform, the one-stop's officers, the judicial records
and VNPost among them) failing, hanging past the bus's time-out and garbling answers after acting.
Dossiers and certificates are filed in the portal's book as its citizens file them, and paid by its
citizens on the payment platform's page from the link the portal shows. Afterwards a reconciliation:
every started journey ended completed, refused with its compensations done (fee refunded with its
e-receipt cancelled, the portal told), or parked with a reason; none refused once its result was issued
(a rejection then parks it: the fee is earned, the parcel kept); no system counted an
effect (a payment, a refund, a hand-over, a request, a parcel) more often than the journeys' steps that
took it (GET /_control/effects; a step a journey parked on after a time-out may have taken it: counted
in doubt), no payment was captured twice; the portal's history of each dossier is
its statuses once each, in order. On memory and on RabbitMQ + Redis.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from bus.auth.settings import AuthSettings
from bus.catalog import Catalog
from bus.flows import (
    VIETNAM_TZ,
    CompressedClock,
    FeedFollower,
    JourneyEngine,
    JourneyRecord,
    Journeys,
    WorkingCalendar,
    WorkingDayPace,
)
from bus.flows.journey_model import CallStep
from bus.gateway.access import AccessControl
from bus.gateway.ratelimit import MemoryRateLimiter
from bus.gateway.service_caller import BusServiceCaller
from bus.transport.base import Transport
from bus.worker import Worker
from lgsp.journey_runtime import MockClockFollower
from services.citizens import Population
from services.faults import Latency
from services.journey_forms import IneligibleRequest, age_on, birth_inputs, death_inputs, is_mother
from services.lltp.settings import LltpSettings
from services.motcua.settings import MotcuaSettings
from services.portal.citizen_draws import CitizenDraws
from services.portal.settings import PortalSettings
from services.registry import PORTAL_DEMO_KEY
from tests.backends import Backend, quick_journey_settings
from tests.lgsp.citizen_journeys import (
    CLOCKED,
    DAY_SECONDS,
    POPULATION_SIZE,
    Mocks,
    RecordingSink,
    adapters_over,
    citizen_token,
    journey_definitions,
    journeys_catalog,
    national_mocks,
)
from vn_calendar import vietnam_today

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

BIRTHS = 6
DEATHS = 4
DOSSIERS = 4  # ordinary dossiers with a fee, the officers refusing half
CERTIFICATES = 4  # judicial-record certificates, the records refusing half
# Every journey ends within this once the systems recover (they take a few seconds on a loaded machine):
# one still open then waits for something that will not come.
RECOVERY_SECONDS = 40
SERVICE_TIMEOUT = 1.0  # s: a hang (2 s) outlasts it, so the bus gives up not knowing whether it acted
FAULTS = {"error_rate": 0.2, "timeout_rate": 0.08, "hang_seconds": 2.0, "malformed_rate": 0.05}
FAULTED = ("civil", "portal", "residence", "insurance", "social", "payment", "motcua", "lltp", "vnpost")
PORTAL_STATUSES = [1, 3, 7, 4, 7, 4, 5]  # received, accepted, sent, result, sent on, result, returned
# An ordinary dossier's or a certificate's statuses on the portal: received, accepted, fee asked (again
# when the first payment failed), processing, then issued and returned; or stopped (8) at any point
# after its acceptance; or, one whose citizen the population database does not know, not accepted (3).
PAID_STATUSES = ([1, 2, 6, 4], [1, 2, 6, 6, 4])
ISSUED, STOPPED, NOT_ACCEPTED = [9, 10], [8], [1, 3]
ENDED = ("completed", "refused", "parked")
# The `issued` step of a dossier or certificate once it told the portal 9, or the portal rejected it.
ISSUING = ("done", "refused", "compensating", "compensated")
PAYMENTS = (("dossier", "pay"), ("dossier", "repay"), ("lltp", "pay"), ("lltp", "repay"))
PARCELS = (("dossier", "parcel"), ("lltp", "parcel"))
# Each system's effect counter and the journey steps (by kind) whose success takes that effect.
EFFECTS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "civil": {"khaisinh": (("birth", "registered"),), "khaitu": (("death", "register"),)},
    "residence": {
        "dang_ky_thuong_tru": (("birth", "residence"),),
        "xoa_dang_ky_thuong_tru": (("death-feed", "remove"),),
    },
    "insurance": {"the_bhyt_tre_em": (("birth", "card"),), "tu_tuat": (("death", "survivor"),)},
    "social": {"ho_tro_mai_tang": (("death", "funeral"),)},
    "payment": {"payments_created": PAYMENTS},
    "motcua": {"dossiers_received": (("dossier", "handover"),)},
    "lltp": {"dang_ky": (("lltp", "request"),)},
    "vnpost": {"orders_posted": PARCELS},
}  # fmt: skip
# Each system's undoing counter and the steps whose compensation takes it: exactly (no parcel is ever
# cancelled: it is posted once the result is issued, when nothing refuses a journey) or at most (a
# payment compensated may have needed nothing undone: never paid).
UNDONE_EXACTLY: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {"vnpost": {"orders_cancelled": ()}}
UNDONE_AT_MOST = {"payment": {"refunds": PAYMENTS, "payments_cancelled": PAYMENTS}}

# Citizens who pay promptly on the portal's link (a fault may still fail their payment); officers and
# judicial records who refuse about half the dossiers and certificates.
PAYING_CITIZENS = PortalSettings(
    gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY, late_payment_rate=0.0, failed_payment_rate=0.0,
    abandoned_payment_rate=0.0,
)  # fmt: skip
HALF_REFUSING_OFFICERS = MotcuaSettings(
    gateway_url=None, latency=Latency(), refusal_rate=0.5, supplement_rate=0.0
)
HALF_REFUSING_RECORDS = LltpSettings(
    certificate_days=2, several_places_days=3, refusal_rate=0.5, late_rate=0.0
)


@dataclass
class ChaosBus:
    """The journeys' bus with engines and workers each on a transport of its own, so each can be killed."""

    backend: Backend
    catalog: Catalog
    mocks: Mocks
    clock: CompressedClock
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    sink: RecordingSink = field(default_factory=RecordingSink)
    engines: list[JourneyEngine] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    journeys: Journeys | None = None
    feeds: FeedFollower | None = None  # the population's death feed, starting the residence removals

    def __post_init__(self) -> None:
        self.definitions = journey_definitions(citizen_token(self.backend))
        self.settings = quick_journey_settings(
            f"lgsp-test.journeys.{citizen_token(self.backend)}", busy_retry_seconds=0.05
        )

    async def caller(self, transport: Transport) -> BusServiceCaller:
        access = AccessControl.build(self.catalog, self.backend.store, AuthSettings())
        return BusServiceCaller(
            self.catalog, transport, access, [self.sink], rate_limiter=MemoryRateLimiter()
        )

    async def add_engine(self) -> JourneyEngine:
        transport = await self.backend.transport()
        caller = await self.caller(transport)
        engine = JourneyEngine(
            self.definitions, store=self.backend.store, transport=transport, caller=caller, clock=self.clock,
            calendar=self.calendar, settings=self.settings, name=f"engine-{len(self.engines)}",
        )  # fmt: skip
        await engine.start()
        self.engines.append(engine)
        return engine

    async def add_worker(self) -> Worker:
        worker = Worker(
            self.catalog, await self.backend.transport(), adapters_over(self.mocks, self.backend.store),
            name=f"w-{len(self.workers)}", store=self.backend.store,
        )  # fmt: skip
        await worker.start()
        self.workers.append(worker)
        return worker

    async def start(self) -> Journeys:
        for _ in range(2):
            await self.add_worker()
            await self.add_engine()
        self.journeys = Journeys(
            self.definitions, store=self.backend.store, transport=await self.backend.transport(),
            clock=self.clock, calendar=self.calendar, settings=self.settings,
        )  # fmt: skip
        caller = await self.caller(await self.backend.transport())
        self.feeds = FeedFollower(
            self.definitions, journeys=self.journeys, caller=caller,
            store=self.backend.store, settings=self.settings, holder="chaos-feeds",
        )  # fmt: skip
        await self.feeds.start()
        return self.journeys

    async def stop(self) -> None:
        if self.feeds is not None:
            await self.feeds.stop()
        for engine in self.engines:
            await engine.stop(drain_seconds=0.5)
        for worker in self.workers:
            await worker.stop()

    async def faults(self, changes: dict[str, Any]) -> None:
        """Inject `changes` into every faulted mock's profile."""
        for index, name in enumerate(FAULTED):
            async with self.mocks.client(name) as control:
                answer = await control.patch("/_control/faults", json=changes | {"seed": index})
            assert answer.status_code == 200, answer.text

    async def recover(self) -> Counter[str]:
        """Every faulted mock back to its defaults; the faults they injected, summed."""
        injected: Counter[str] = Counter()
        for name in FAULTED:
            async with self.mocks.client(name) as control:
                injected.update((await control.get("/_control/faults")).json()["stats"])
                assert (await control.post("/_control/faults/reset")).status_code == 200
        return injected

    async def effects(self, name: str) -> dict[str, int]:
        async with self.mocks.client(name) as control:
            counts: dict[str, int] = (await control.get("/_control/effects")).json()
        return counts

    async def portal_history(self, record: JourneyRecord) -> list[int]:
        """The statuses the portal recorded for the journey's dossier, in order: an interconnected birth
        or death in its interconnected book, an ordinary dossier or a certificate in its own."""
        async with self.mocks.client("portal") as portal:
            if record.kind in ("dossier", "lltp"):
                answer = await portal.get("/api/TraCuuHoSo", params={"MaHoSo": record.dossier_code})
                history, status = "LichSuXuLy", "TrangThaiHoSo"
            else:
                answer = await portal.get("/api/lienthong/TraCuu", params={"maHoSo": record.dossier_code})
                history, status = "lichSu", "trangThai"
        return [entry[status] for entry in answer.json()[history]] if answer.status_code == 200 else []

    async def file_on_portal(self, draws: CitizenDraws, kind: str, code: str) -> JourneyRecord:
        """A citizen's dossier (`dossier`) or certificate request (`lltp`) filed in the portal's book as
        its citizens file them (services.portal.citizen_traffic), and handed to the province."""
        assert self.journeys is not None
        filed = draws.dossier if kind == "dossier" else draws.certificate
        # Received now on the bus's clock, which the mocks follow (a certificate's appointment counts
        # from it, and the judicial records refuse one before their reception day).
        record, inputs = filed(code, self.clock.now().astimezone(VIETNAM_TZ), "H31")
        self.mocks.apps["portal"].state.dossiers.add(record)
        return await self.journeys.start(kind, inputs, code)


def dossiers(population: Population, today: date) -> list[tuple[str, dict[str, Any]]]:
    """Births of distinct mothers (one refused: the mother's name does not match) and deaths: an insured
    elder with every procedure, other elders with the residence removal, one refused (no social
    allowance for a funeral allowance)."""
    people = [p for p in (population.citizen(population.id_at(i)) for i in range(len(population))) if p]
    mothers = [p for p in people if is_mother(p, today)][:BIRTHS]
    births = [
        birth_inputs(population, today=today, mother_id=mother.id_number, entry_number=n)
        for n, mother in enumerate(mothers)
    ]
    mismatched = births[-1]["mother"]
    assert isinstance(mismatched, dict)
    mismatched["full_name"] = "Tên Không Khớp"
    deaths = [death_inputs(population, today=today)]  # the first insured elder, three procedures
    first = deaths[0]["deceased"]
    assert isinstance(first, dict)
    taken = {str(first["id_number"]), *(m.id_number for m in mothers)}
    for person in people:
        if len(deaths) == DEATHS - 1:
            break
        if person.id_number in taken or age_on(person, today) < 60 or person.household.relation == "CH01":
            continue
        try:
            deaths.append(
                death_inputs(population, today=today, legs=["residence"], deceased_id=person.id_number)
            )
        except IneligibleRequest:
            continue
        taken.add(person.id_number)
    deaths.append(death_inputs(population, today=today, legs=["funeral"], deceased_id=mothers[0].id_number))
    return [("birth", inputs) for inputs in births] + [("death", inputs) for inputs in deaths]


async def until_ended(journeys: Journeys, journey_id: str, deadline: float) -> JourneyRecord:
    """The journey once it has ended, or as it stands at `deadline` (time.monotonic())."""
    current = await journeys.get(journey_id)
    while current.status not in ENDED and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        current = await journeys.get(journey_id)
    return current


async def where_stuck(bus: ChaosBus, records: list[JourneyRecord]) -> list[str]:
    """What each journey that has not ended waits for: its lease, its timers (wall seconds until due)
    and its open steps (the timer holding each, its last call). A step held by a timer that is past due
    lost the tick that fires it."""
    lines = []
    for record in records:
        stored = None if record.status in ENDED else await bus.engines[0].book.load(record.journey_id)
        if stored is None:
            continue
        state, now = stored.state, time.time()
        due_in = {
            t.timer_id: bus.clock.wall_seconds_until(t.due_at) if t.due_at else (t.wall_due or now) - now
            for t in state.timers.values()
        }
        timers = [f"{timer} in {seconds:.1f} s" for timer, seconds in due_in.items()]
        steps = [
            f"{s.step} {s.status.value} held by {s.held_by}"
            + "".join(f", last {c.purpose} #{c.attempt} {c.outcome}" for c in s.calls[-1:])
            for s in state.steps.values()
            if s.status in ("running", "waiting", "compensating")
        ]
        lease = f"leased for {state.lease_until - now:.1f} s" if state.leased(now) else "not leased"
        lines.append(
            f"{record.kind} {record.dossier_code} {state.status.value} after {state.transitions} writes, "
            f"{lease}, timers {timers}, open steps {steps}"
        )
    return lines


def portal_history_in_order(record: JourneyRecord, told: list[int]) -> bool:
    """Whether the portal heard the journey's statuses once each, in order, as it ended."""
    if record.kind not in ("dossier", "lltp"):
        return record.status != "completed" or told == PORTAL_STATUSES
    if record.status == "completed":
        return any(told == paid + ISSUED for paid in PAID_STATUSES)
    stopped = [paid[:n] + STOPPED for paid in PAID_STATUSES for n in range(2, len(paid) + 1)]
    unaccepted = ([1], NOT_ACCEPTED)  # [1]: refused at its first push
    return record.status == "refused" and (told in stopped or told in unaccepted)


def reconcile(bus: ChaosBus, records: list[JourneyRecord], histories: dict[str, list[int]],
              effects: dict[str, dict[str, int]]) -> dict[str, int]:  # fmt: skip
    """The reconciliation table's counts (see the module's docstring)."""
    ends = Counter(record.status.value for record in records)
    # A compensation with conditions (the dossier's acceptance: the portal told 8 unless a step told it)
    # may rightly not run; the portal's last status below tells whether it was heard.
    compensable = {
        d.kind: {step.id for step in d.steps if isinstance(step, CallStep) and step.compensation
                 and not step.compensation.when}
        for d in bus.definitions
    }  # fmt: skip
    missing = 0
    for record in records:
        if record.status == "refused":
            undone = [s for s in record.steps if s.step in compensable[record.kind] and s.status == "done"]
            told = histories.get(record.dossier_code, [])  # empty when refused before the portal heard
            unheard = (
                told[-1:] != ([6] if record.kind in ("birth", "death") else STOPPED) and told != NOT_ACCEPTED
            )
            missing += len(undone) + (bool(told) and unheard)
    payment = effects["payment"]
    missing += payment["refunds"] - payment["receipts_cancelled"]  # every refund cancels its e-receipt
    taken = Counter(  # a step compensated had taken its effect first
        (record.kind, step.step)
        for record in records
        for step in record.steps
        if step.status in ("done", "compensating", "compensated")
    )
    compensated = Counter(
        (record.kind, step.step)
        for record in records
        for step in record.steps
        if step.status == "compensated"
    )
    # A step a journey parked on (a call timed out: the system may have acted) took its effect or not.
    in_doubt = Counter(
        (record.kind, step.step)
        for record in records
        if record.status == "parked"
        for step in record.steps
        if step.status == "failed"
    )

    def by_steps(counts: Counter[tuple[str, str]], steps: tuple[tuple[str, str], ...]) -> int:
        return sum(counts[step] for step in steps)

    exact = [  # (counted, steps that took it, steps that may have)
        (effects[system][counter], by_steps(taken, steps), by_steps(in_doubt, steps))
        for system, counters in EFFECTS.items()
        for counter, steps in counters.items()
    ]
    exact += [
        (effects[system][counter], by_steps(compensated, steps), 0)
        for system, counters in UNDONE_EXACTLY.items()
        for counter, steps in counters.items()
    ]
    at_most = [
        (sum(effects[system][counter] for counter in counters), by_steps(compensated, steps), 0)
        for system, counters in UNDONE_AT_MOST.items()
        for steps in {*counters.values()}
    ]
    at_most.append((payment["payments_succeeded"], payment["payments_created"], 0))  # none captured twice
    return {
        "started": len(records),
        "completed": ends["completed"],
        "refused": ends["refused"],
        "parked": ends["parked"],
        "parked without a reason": sum(1 for r in records if r.status == "parked" and not r.reason),
        "refused once issued": sum(  # the fee earned: a failure after the result parks, never refuses
            1
            for r in records
            if r.status == "refused" and any(s.step == "issued" and s.status in ISSUING for s in r.steps)
        ),
        "lost": sum(ends[status] for status in ends if status not in ENDED),
        "doubled": sum(max(0, counted - steps - doubt) for counted, steps, doubt in exact + at_most),
        "missing compensations": missing,
        "effects short": sum(max(0, steps - counted) for counted, steps, _ in exact),
        "effects in doubt": sum(min(doubt, max(0, counted - steps)) for counted, steps, doubt in exact),
        "portal history off": sum(
            not portal_history_in_order(record, histories[record.dossier_code])
            for record in records
            if record.dossier_code in histories and record.status != "parked"
        ),
    }  # fmt: skip


async def test_real_journeys_reconcile_after_engines_and_workers_die_and_systems_fail_and_hang(
    backend: Backend,
) -> None:
    population = Population(seed=2023, size=POPULATION_SIZE)
    mocks = national_mocks(
        population, portal=PAYING_CITIZENS, motcua=HALF_REFUSING_OFFICERS, lltp=HALF_REFUSING_RECORDS
    )
    clock = CompressedClock(
        WorkingDayPace(WorkingCalendar(), DAY_SECONDS, 0.05), sim_epoch=datetime.now(VIETNAM_TZ),
        wall_epoch=time.time(),
    )  # fmt: skip
    catalog = journeys_catalog(citizen_token(backend), timeout=SERVICE_TIMEOUT)
    bus = ChaosBus(backend, catalog, mocks, clock)
    backend.queues += [bus.settings.queue, *(s.id.queue_name for s in catalog.services)]
    follower = MockClockFollower(clock, [mocks.client(name) for name in CLOCKED], interval=0.05)
    await follower.start()
    payers = mocks.apps["portal"].state.payments
    payers.start(0.05)  # the portal's citizens paying on the links (its lifespan's task)
    journeys = await bus.start()
    draw = random.Random(13)
    try:
        await bus.faults(FAULTS)  # failing and hanging from the first step on
        started = []
        for n, (kind, inputs) in enumerate(dossiers(population, vietnam_today())):
            started.append(await journeys.start(kind, inputs, f"H31.CHAOS{citizen_token(backend)}-{n:02d}"))
        draws = CitizenDraws(population, seed=5)
        for kind, label, count in (("dossier", "TTHC", DOSSIERS), ("lltp", "LLTP", CERTIFICATES)):
            # Codes fixed across runs, so are the seeded decisions on them: two approved, two refused.
            started += [
                await bus.file_on_portal(draws, kind, f"H31.LT-CHAOS{label}-{n:06d}") for n in range(count)
            ]
        for _ in range(2):  # mid-journey: an engine and a worker die, fresh ones take over
            await asyncio.sleep(0.6)
            await bus.engines.pop(draw.randrange(len(bus.engines))).transport.close()
            await bus.workers.pop(draw.randrange(len(bus.workers))).transport.close()
            await bus.add_engine()
            await bus.add_worker()
        await asyncio.sleep(1.0)
        injected = await bus.recover()  # the systems recover; every journey must now end
        recovered = time.monotonic()
        deadline = recovered + RECOVERY_SECONDS
        records = [await until_ended(journeys, record.journey_id, deadline) for record in started]
        # The residence removals the deaths' registration fed (one death-feed journey per death).
        removals = [
            await until_ended(journeys, r.journey_id, deadline)
            for r in await journeys.list(kind="death-feed")
        ]
        waited = time.monotonic() - recovered
        stuck = await where_stuck(bus, records + removals)
        histories = {r.dossier_code: await bus.portal_history(r) for r in records}
        effects = {name: await bus.effects(name) for name in EFFECTS}
    finally:
        await payers.close()
        await follower.stop()
        await bus.stop()
    table = reconcile(bus, records + removals, histories, effects)
    print(
        f"\njourney chaos reconciliation ({backend.kind}); faults injected: {dict(injected)}; "
        f"waited {waited:.1f} s after recovery"
    )
    for name, count in table.items():
        print(f"  {name:<25} {count}")
    for record in records + removals:
        print(f"  {record.kind:<6} {record.dossier_code}: {record.status.value}"
              f"{' (' + record.reason + ')' if record.reason else ''}")  # fmt: skip
    assert injected["error"] > 0 and injected["hang"] > 0  # the chaos happened
    assert len(records) == BIRTHS + DEATHS + DOSSIERS + CERTIFICATES
    assert removals  # deaths registered fed removals
    assert table["lost"] == 0, f"open {RECOVERY_SECONDS} s after recovery:\n" + "\n".join(stuck)
    assert table["parked without a reason"] == 0 and table["refused once issued"] == 0
    assert table["doubled"] == 0 and table["missing compensations"] == 0
    assert table["effects short"] == 0 and table["portal history off"] == 0
    assert table["refused"] >= 2  # the mismatched mother and the funeral allowance nobody is owed
    for kind in ("dossier", "lltp"):  # some refused after paying (the seeded decisions): fees refunded
        refunded = [r for r in records if r.kind == kind and any(
            s.step == "pay" and s.status == "compensated" for s in r.steps
        )]  # fmt: skip
        assert refunded, kind
    assert any(r.status == "completed" for r in records if r.kind in ("dossier", "lltp"))
