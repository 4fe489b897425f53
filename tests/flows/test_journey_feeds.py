"""FeedFollower: journeys started by the bus on a feed's entries, once each, the position kept in the
Store, each counted from its entry's own time; a failed read or another engine holding the feed change
nothing; an entry no journey can start for is kept as a typed refusal an operator lists, once, on
memory and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from pydantic import JsonValue

from bus.errors import ErrorBody
from bus.flows import (
    VIETNAM_TZ,
    FeedFollower,
    InvalidStart,
    JourneyDefinitionError,
    JourneySettings,
    ManualClock,
    load_journey,
)
from bus.flows.service_calls import CallResult, ServiceCall
from bus.store import MemoryStore
from bus.store.base import Store
from tests.backends import BACKENDS, open_backend

SETTINGS = JourneySettings(store_prefix="t:")
DEFINITION = load_journey(
    {
        "kind": "on-death", "client": "VN/GOV/HPG/MOTCUA",
        "feed": {"call": {"service": "VN/GOV/BCA/CSDLDC/Feed/v1", "payload": {"after": "${/feed/after}"}},
                 "items_at": "/deaths", "position_at": "/position", "dossier_code": "XT.${/item/id}",
                 "received_at": "${/item/at}"},
        "steps": [{"kind": "call", "id": "act", "call": {"service": "VN/GOV/HPG/X/Act/v1"}}],
    }
)  # fmt: skip


class FakeFeed:
    """Answers reads of a list of entries after the position asked; `fail` makes the next read fail."""

    def __init__(self, entries: list[JsonValue]) -> None:
        self.entries = entries
        self.fail = False
        self.reads: list[ServiceCall] = []

    async def call(self, call: ServiceCall) -> CallResult:
        self.reads.append(call)
        if self.fail:
            error = ErrorBody(type="Server.Provider.Unavailable", message="down", detail=call.transaction_id)
            return CallResult(outcome="failed", transaction_id=call.transaction_id, status=503, error=error)
        after = call.payload["after"]  # type: ignore[index,call-overload]
        page = [e for e in self.entries if not isinstance(e, dict) or e.get("position", 0) > after]
        return CallResult(outcome="succeeded", transaction_id=call.transaction_id, status=200,
                          payload={"deaths": page})  # fmt: skip


NOW = datetime(2026, 3, 16, 10, 0, tzinfo=VIETNAM_TZ)
AT = "2026-03-13T16:20:00+07:00"  # when the entries' events happened: the Friday before


def entry(position: object, person: str, name: str | None = None, at: str = AT) -> dict[str, Any]:
    """A feed entry (no name: one the journey refuses)."""
    return {"position": position, "id": person, "at": at} | ({"name": name} if name else {})


class FakeJourneys:
    """Records starts and their received times; idempotent by dossier code like Journeys.start; refuses
    inputs without a name."""

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.received: dict[str, datetime | None] = {}
        self.clock = ManualClock(NOW)

    async def start(
        self, kind: str, inputs: dict[str, Any], dossier_code: str, *, received_at: datetime | None = None
    ) -> Any:
        if "name" not in inputs:
            raise InvalidStart("needs a name")
        self.started.setdefault(dossier_code, inputs)
        self.received.setdefault(dossier_code, received_at)
        return type("Record", (), {"journey_id": dossier_code})()


def follower(feed: FakeFeed, journeys: FakeJourneys, store: Store, holder: str = "a") -> FeedFollower:
    return FeedFollower([DEFINITION], journeys=journeys, caller=feed, store=store,  # type: ignore[arg-type]
                        settings=SETTINGS, holder=holder)  # fmt: skip


async def test_entries_start_their_journeys_once_and_the_position_moves_past_them() -> None:
    store, journeys = MemoryStore(), FakeJourneys()
    feed = FakeFeed([entry(1, "A", "An"), entry(2, "B", "Bình", at="2026-03-16T09:00:00+07:00")])
    bus = follower(feed, journeys, store)
    assert await bus.poll(DEFINITION) == 2
    assert journeys.started == {"XT.A": feed.entries[0], "XT.B": feed.entries[1]}
    # Each journey's clock starts when its event happened, not when the bus read it (NOW).
    assert journeys.received == {
        "XT.A": datetime.fromisoformat(AT),
        "XT.B": datetime(2026, 3, 16, 9, 0, tzinfo=VIETNAM_TZ),
    }
    assert await bus.position("on-death") == 2
    assert await bus.poll(DEFINITION) == 0
    assert [read.payload for read in feed.reads] == [{"after": 0}, {"after": 2}]
    assert len({read.message_id for read in feed.reads}) == 2  # each read new, never a replayed answer


async def test_a_failed_read_and_another_engines_lease_change_nothing() -> None:
    store, journeys = MemoryStore(), FakeJourneys()
    feed = FakeFeed([entry(1, "A", "An")])
    feed.fail = True
    assert await follower(feed, journeys, store).poll(DEFINITION) == 0
    assert await follower(feed, journeys, store).position("on-death") == 0 and journeys.started == {}
    feed.fail = False
    await store.set_if_absent("t:feed:on-death:lease", b"b", ttl=30)
    assert await follower(feed, journeys, store).poll(DEFINITION) == 0 and journeys.started == {}
    await store.delete("t:feed:on-death:lease")  # the other engine's round ended
    assert await follower(feed, journeys, store).poll(DEFINITION) == 1
    assert await store.get("t:feed:on-death:lease") is None  # given up after the round


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A MemoryStore, or Redis under a unique prefix (keys removed afterwards)."""
    async with open_backend(request) as opened:
        yield opened.store


async def test_entries_no_journey_starts_for_are_kept_with_reason_and_position_once_and_the_rest_started(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    journeys = FakeJourneys()
    feed = FakeFeed([
        "garbled",                                     # no position at all
        entry(1, "A"),                                 # the journey refuses it (no name)
        entry(2, "B", "Bình", at="2026-03-13 16:20"),  # a time without its UTC offset
        entry(3, "C", "Chi"),
        {"position": 4, "name": "Dũng", "at": AT},      # no id: no dossier code
    ])  # fmt: skip
    bus = follower(feed, journeys, store)
    assert await bus.poll(DEFINITION) == 4  # the feed goes on past every refused entry
    assert list(journeys.started) == ["XT.C"]
    assert await bus.position("on-death") == 4

    refused = await bus.refusals.newest("on-death")
    assert [(r.position, r.after) for r in refused] == [(4, 3), (2, 1), (1, 0), (None, 0)]
    reasons = [r.reason for r in refused]
    assert "/id" in reasons[0] and "no UTC offset" in reasons[1] and "needs a name" in reasons[2]
    assert "no position after 0" in reasons[3] and refused[3].entry == "garbled"
    assert refused[2].entry == entry(1, "A") and {r.kind for r in refused} == {"on-death"}
    assert {r.refused_at for r in refused} == {NOW}
    assert "refused" in caplog.text

    # Read again (next poll: the garbled entry comes back) and by a restarted engine that lost its
    # position: every entry read again, each refusal kept once, nothing started twice.
    assert await bus.poll(DEFINITION) == 0
    await store.delete("t:feed:on-death:after")
    restarted = follower(feed, journeys, store, holder="b")
    assert await restarted.poll(DEFINITION) == 4
    assert await restarted.refusals.newest("on-death") == refused
    assert list(journeys.started) == ["XT.C"]
    assert len(await restarted.refusals.newest("on-death", limit=2)) == 2


async def test_an_entry_is_not_passed_until_its_refusal_is_kept() -> None:
    """The store failing as a refusal is written: the poll fails, the cursor stays before the entry."""

    class FailingWrites(MemoryStore):
        async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
            raise ConnectionError("store down")

    store, journeys = FailingWrites(), FakeJourneys()
    feed = FakeFeed([entry(1, "A", "An"), entry(2, "B")])
    with pytest.raises(ConnectionError):
        await follower(feed, journeys, store).poll(DEFINITION)
    assert await follower(feed, journeys, store).position("on-death") == 1  # B will be read again


def test_a_feed_reading_what_it_does_not_have_is_refused() -> None:
    bad = DEFINITION.model_dump(mode="json", exclude_none=True)
    bad["feed"]["dossier_code"] = "XT.${/feed/after}"
    with pytest.raises(JourneyDefinitionError):
        load_journey(bad)


class SwallowingFeed(FakeFeed):
    """A read that loses the first cancellation, as Python 3.11's asyncio.wait_for does when the awaited
    result and the cancel meet."""

    def __init__(self, entries: list[JsonValue]) -> None:
        super().__init__(entries)
        self.reading = asyncio.Event()
        self.swallowed = False

    async def call(self, call: ServiceCall) -> CallResult:
        self.reading.set()
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed = True
        return await super().call(call)


async def test_stop_ends_the_polling_even_when_a_read_loses_its_cancellation() -> None:
    definition = load_journey(DEFINITION.model_dump(mode="json", exclude_none=True)
                              | {"feed": DEFINITION.feed.model_dump(mode="json") | {"every_seconds": 0.01}})  # type: ignore[union-attr]  # fmt: skip
    feed, journeys = SwallowingFeed([entry(1, "A", "An")]), FakeJourneys()
    bus = FeedFollower([definition], journeys=journeys, caller=feed, store=MemoryStore(),  # type: ignore[arg-type]
                       settings=SETTINGS, holder="a")  # fmt: skip
    await bus.start()
    await asyncio.wait_for(feed.reading.wait(), 5)
    stopping = asyncio.ensure_future(bus.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # it waited forever: the loop went on polling
    stopping.cancel()
    assert done, "stop() still waiting for the feed's loop"
    reads = len(feed.reads)
    await asyncio.sleep(0.1)
    assert len(feed.reads) == reads  # no poll after the stop
    assert journeys.started == {"XT.A": feed.entries[0]}  # the round cut short finished what it read
