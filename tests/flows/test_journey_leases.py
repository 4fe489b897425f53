"""Two workers never advance one journey at once: the lease, and compare-and-set under it.
Run on the memory store and on Redis (the `store` fixture)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bus.errors import ErrorBody, Overloaded
from bus.flows import ManualClock, WorkingCalendar
from bus.flows.journey_book import JourneyBook
from bus.flows.journey_engine import JourneyEngine, trouble_delay
from bus.flows.journey_model import load_journey
from bus.flows.journey_run import JourneyRun, LostJourney, Services
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import JourneyState, JourneyStatus, StepState
from bus.flows.journey_ticks import JourneyTick, TickPublisher
from bus.flows.service_calls import CallResult, ServiceCall
from bus.store import Store
from bus.transport import MemoryTransport
from tests.flows.journey_stack import CLIENT, START
from tests.store.conftest import store, unique_prefix  # noqa: F401  (fixtures)

DEFINITION = load_journey(
    {
        "kind": "k",
        "client": CLIENT,
        "steps": [{"kind": "call", "id": "a", "call": {"service": "VN/GOV/HPG/S/X/v1"}}],
    }
)


class NoCalls:
    """A caller that must not be reached."""

    async def call(self, call: ServiceCall) -> CallResult:
        raise AssertionError(f"unexpected call {call}")


def new_state() -> JourneyState:
    return JourneyState(
        journey_id="j1", kind="k", dossier_code="HS", client=CLIENT, inputs={}, received_at=START,
        steps={"a": StepState(step="a", kind="call")},
    )  # fmt: skip


def services(book: JourneyBook, holder: str, ticks: TickPublisher | None = None) -> Services:
    clock = ManualClock(START)
    publisher = ticks or TickPublisher(MemoryTransport(), "q", clock, recheck_seconds=0.1)
    return Services(
        book, NoCalls(), publisher, clock, WorkingCalendar(), JourneySettings(lease_seconds=5), holder
    )


async def test_a_journey_is_created_once(store: Store) -> None:  # noqa: F811
    book = JourneyBook(store)
    assert await book.create(new_state()) is not None
    assert await book.create(new_state()) is None


async def test_a_worker_that_read_a_state_another_has_since_written_cannot_write_it(store: Store) -> None:  # noqa: F811
    book = JourneyBook(store)
    created = await book.create(new_state())
    assert created is not None
    first = JourneyRun(DEFINITION, created, services(book, "A"))
    second = JourneyRun(DEFINITION, created, services(book, "B"))
    await first.commit()
    with pytest.raises(LostJourney):
        await second.commit()
    stored = await book.load("j1")
    assert stored is not None and stored.state.lease_holder == "A" and stored.state.transitions == 1


async def test_a_tick_for_a_journey_held_by_a_live_lease_is_put_back_untouched(store: Store) -> None:  # noqa: F811
    book = JourneyBook(store)
    held = new_state()
    held.lease_holder, held.lease_until = "someone-else", time.time() + 5
    assert await book.create(held) is not None
    engine = JourneyEngine(
        [DEFINITION], store=store, transport=MemoryTransport(), caller=NoCalls(), clock=ManualClock(START),
        calendar=WorkingCalendar(), settings=JourneySettings(queue="q", busy_retry_seconds=0.1),
    )  # fmt: skip
    put_back: list[tuple[JourneyTick, float]] = []

    class Spy(TickPublisher):
        async def after(self, tick: JourneyTick, seconds: float) -> None:
            put_back.append((tick, seconds))

    engine.ticks = Spy(engine.transport, "q", engine.services.clock, recheck_seconds=0.1)
    tick = JourneyTick(journey_id="j1")
    await engine.advance(tick)

    stored = await book.load("j1")
    assert (
        stored is not None and stored.state.transitions == 0 and stored.state.lease_holder == "someone-else"
    )
    ((again, after),) = put_back
    assert again == tick and after == 0.1  # looked at again soon: the holder usually ends in milliseconds


class FailsThenSucceeds:
    """A caller whose first call fails (retryable: the step arms a retry timer) and later ones succeed."""

    def __init__(self) -> None:
        self.calls: list[ServiceCall] = []

    async def call(self, call: ServiceCall) -> CallResult:
        self.calls.append(call)
        if len(self.calls) == 1:
            error = ErrorBody(type="Server.Provider.Unavailable", message="down for a moment")
            return CallResult(
                outcome="failed", transaction_id=call.transaction_id, status=503, error=error, retryable=True
            )
        return CallResult(outcome="succeeded", transaction_id=call.transaction_id, status=200, payload={})


async def test_a_run_whose_timer_tick_the_broker_refused_leaves_the_journey_as_last_written(
    store: Store,  # noqa: F811
) -> None:
    """The retry timer's tick refused (a full or leaderless retry queue): the run fails before writing
    the timer, and gives the lease up on the state it last wrote, so the tick's redelivery calls the
    step again. Writing the unwritten changes with the lease (the timer, holding the step) would leave
    a timer no tick fires: the journey would never move again."""
    book = JourneyBook(store)
    assert await book.create(new_state()) is not None
    caller = FailsThenSucceeds()
    engine = JourneyEngine(
        [DEFINITION], store=store, transport=MemoryTransport(), caller=caller, clock=ManualClock(START),
        calendar=WorkingCalendar(), settings=JourneySettings(queue="q"),
    )  # fmt: skip
    refusals = [Overloaded("queue 'q.retry.500' refused the message")]

    class Refusing(TickPublisher):
        async def after(self, tick: JourneyTick, seconds: float) -> None:
            if refusals:
                raise refusals.pop()

    engine.services = replace(
        engine.services, ticks=Refusing(engine.transport, "q", engine.services.clock, recheck_seconds=0.1)
    )
    tick = JourneyTick(journey_id="j1")
    with pytest.raises(Overloaded):
        await engine.advance(tick)
    stored = await book.load("j1")
    assert stored is not None and not stored.state.leased(time.time()) and not stored.state.timers
    await engine.advance(tick)  # the broker redelivers the tick the failed run did not ack
    stored = await book.load("j1")
    assert stored is not None and stored.state.status == JourneyStatus.COMPLETED
    assert [call.message_id for call in caller.calls] == [caller.calls[0].message_id] * 2  # same ids


def test_a_tick_deferred_for_troubles_backs_off_doubling_up_to_the_deferral_time() -> None:
    settings = JourneySettings(busy_retry_seconds=0.2, deferral_seconds=5.0)
    delays = [trouble_delay(n, settings) for n in (0, 1, 2, 4, 5, 10_000)]
    assert delays == [0.2, 0.4, 0.8, 3.2, 5.0, 5.0]
