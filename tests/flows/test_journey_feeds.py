"""FeedFollower: journeys started by the bus on a feed's entries, once each, the position kept in the
Store; a failed read, a garbled entry or another engine holding the feed change nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import JsonValue

from bus.errors import ErrorBody
from bus.flows import FeedFollower, InvalidStart, JourneyDefinitionError, JourneySettings, load_journey
from bus.flows.service_calls import CallResult, ServiceCall
from bus.store import MemoryStore

SETTINGS = JourneySettings(store_prefix="t:")
DEFINITION = load_journey(
    {
        "kind": "on-death", "client": "VN/GOV/HPG/MOTCUA",
        "feed": {"call": {"service": "VN/GOV/BCA/CSDLDC/Feed/v1", "payload": {"after": "${/feed/after}"}},
                 "items_at": "/deaths", "position_at": "/position", "dossier_code": "XT.${/item/id}"},
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


class FakeJourneys:
    """Records starts; idempotent by dossier code like Journeys.start; refuses inputs without a name."""

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}

    async def start(self, kind: str, inputs: dict[str, Any], dossier_code: str) -> Any:
        if "name" not in inputs:
            raise InvalidStart("needs a name")
        self.started.setdefault(dossier_code, inputs)
        return type("Record", (), {"journey_id": dossier_code})()


def follower(feed: FakeFeed, journeys: FakeJourneys, store: MemoryStore, holder: str = "a") -> FeedFollower:
    return FeedFollower([DEFINITION], journeys=journeys, caller=feed, store=store,  # type: ignore[arg-type]
                        settings=SETTINGS, holder=holder)  # fmt: skip


async def test_entries_start_their_journeys_once_and_the_position_moves_past_them() -> None:
    store, journeys = MemoryStore(), FakeJourneys()
    feed = FakeFeed([{"position": 1, "id": "A", "name": "An"}, {"position": 2, "id": "B", "name": "Bình"}])
    bus = follower(feed, journeys, store)
    assert await bus.poll(DEFINITION) == 2
    assert journeys.started == {"XT.A": feed.entries[0], "XT.B": feed.entries[1]}
    assert await bus.position("on-death") == 2
    assert await bus.poll(DEFINITION) == 0
    assert [read.payload for read in feed.reads] == [{"after": 0}, {"after": 2}]
    assert len({read.message_id for read in feed.reads}) == 2  # each read new, never a replayed answer


async def test_a_failed_read_and_another_engines_lease_change_nothing() -> None:
    store, journeys = MemoryStore(), FakeJourneys()
    feed = FakeFeed([{"position": 1, "id": "A", "name": "An"}])
    feed.fail = True
    assert await follower(feed, journeys, store).poll(DEFINITION) == 0
    assert await follower(feed, journeys, store).position("on-death") == 0 and journeys.started == {}
    feed.fail = False
    await store.set_if_absent("t:feed:on-death:lease", b"b", ttl=30)
    assert await follower(feed, journeys, store).poll(DEFINITION) == 0 and journeys.started == {}
    await store.delete("t:feed:on-death:lease")  # the other engine's round ended
    assert await follower(feed, journeys, store).poll(DEFINITION) == 1
    assert await store.get("t:feed:on-death:lease") is None  # given up after the round


async def test_a_garbled_or_refused_entry_is_passed_over_and_the_rest_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, journeys = MemoryStore(), FakeJourneys()
    feed = FakeFeed(["garbled", {"position": 1, "id": "A"}, {"position": 2, "id": "B", "name": "Bình"}])
    assert await follower(feed, journeys, store).poll(DEFINITION) == 2
    assert list(journeys.started) == ["XT.B"]
    assert "passed over" in caplog.text and "without a position" in caplog.text


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
    feed, journeys = SwallowingFeed([{"position": 1, "id": "A", "name": "An"}]), FakeJourneys()
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
