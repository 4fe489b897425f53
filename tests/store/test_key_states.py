"""Idempotency-Key states (bus.key_states) on every store: claims, take-overs, settling by the holder only."""

from __future__ import annotations

import asyncio
import time

from bus.envelope import Envelope, Reply
from bus.errors import BadRequest, ProviderRejected, ProviderTimeout
from bus.key_states import KeyBook, is_definitive, key_location
from bus.store import Store

WHERE = key_location("VN/GOV/HPG/STP", "VN/GOV/BTP/HOTICH/XacNhanTinhTrangHonNhan/v1", "k-1")
PRINT = "fingerprint-1"


def book_on(store: Store) -> KeyBook:
    return KeyBook(store, ttl=60)


async def claim(book: KeyBook, owner: str, *, hold: float = 10.0, print_: str = PRINT) -> str:
    record = await book.claim(WHERE, print_, owner, transaction_id=f"tx-{owner}", until=time.time() + hold)
    return record.owner if record.state == "in_flight" else f"{record.state}:{record.owner}"


def reply_to(owner: str, *, error: Exception | None = None) -> Reply:
    request = Envelope(client="VN/GOV/HPG/STP", service="VN/GOV/BTP/HOTICH/XacNhanTinhTrangHonNhan/v1")  # type: ignore[arg-type]
    request = request.model_copy(update={"message_id": owner})
    if error is None:
        return Reply.success(request, {"so": "XN.031.00000001"})
    assert isinstance(error, BadRequest | ProviderRejected | ProviderTimeout)
    return Reply.failure(request, error.body(request.correlation_id), error.status)


async def test_the_first_attempt_claims_a_free_key_and_a_second_finds_it_in_flight(store: Store) -> None:
    book = book_on(store)
    assert await claim(book, "a-1") == "a-1"
    assert await claim(book, "a-2") == "a-1"  # busy: the holder's record comes back
    record = await book.read(WHERE)
    assert record is not None and (record.state, record.attempts, record.transaction_id) == (
        "in_flight",
        1,
        "tx-a-1",
    )


async def test_only_one_of_racing_claims_holds_the_key(store: Store) -> None:
    book = book_on(store)
    holders = await asyncio.gather(*(claim(book, f"a-{n}") for n in range(10)))
    assert len(set(holders)) == 1


async def test_a_definitive_reply_completes_the_key_and_it_is_never_taken_over(store: Store) -> None:
    book = book_on(store)
    await claim(book, "a-1")
    assert await book.settle_reply(WHERE, "a-1", reply_to("a-1")) is True
    assert await claim(book, "a-2") == "completed:a-1"
    record = await book.read(WHERE)
    assert record is not None and record.answer is not None and record.answer.status == 200
    assert '"XN.031.00000001"' in record.answer.body


async def test_a_transient_failure_leaves_the_key_unknown_for_the_next_attempt_to_claim(store: Store) -> None:
    book = book_on(store)
    await claim(book, "a-1")
    assert await book.settle_reply(WHERE, "a-1", reply_to("a-1", error=ProviderTimeout("hung"))) is True
    record = await book.read(WHERE)
    assert record is not None and (record.state, record.reason) == ("unknown", "Server.Provider.Timeout")
    assert await claim(book, "a-2") == "a-2"
    record = await book.read(WHERE)
    assert record is not None and record.attempts == 2


async def test_a_refused_attempt_leaves_the_key_not_done_unless_an_earlier_one_may_have_acted(
    store: Store,
) -> None:
    book = book_on(store)
    await claim(book, "a-1")
    assert await book.settle(WHERE, "a-1", "not_done", reason="Server.Bus.Unavailable") is True
    first = await book.read(WHERE)
    await claim(book, "a-2")  # taken over from not_done, refused again: still nothing done
    await book.settle(WHERE, "a-2", "not_done", reason="Server.Bus.Unavailable")
    second = await book.read(WHERE)
    await claim(book, "a-3")  # this one reached the bus and failed transiently
    await book.settle_reply(WHERE, "a-3", reply_to("a-3", error=ProviderTimeout("hung")))
    await claim(book, "a-4")  # a refused retry of a request that may have had its effect
    await book.settle(WHERE, "a-4", "not_done", reason="Server.Bus.Unavailable")
    fourth = await book.read(WHERE)
    assert first is not None and first.state == "not_done"
    assert second is not None and second.state == "not_done"
    assert fourth is not None and (fourth.state, fourth.reason) == ("unknown", "Server.Bus.Unavailable")


async def test_an_in_flight_key_past_its_hold_is_taken_over(store: Store) -> None:
    book = book_on(store)
    await claim(book, "dead", hold=0.1)
    await asyncio.sleep(0.2)
    assert await claim(book, "a-2") == "a-2"


async def test_only_the_holder_settles_and_a_completed_key_stays_completed(store: Store) -> None:
    book = book_on(store)
    await claim(book, "a-1", hold=0.1)
    await asyncio.sleep(0.2)
    await claim(book, "a-2")
    # The first attempt's worker finishes late: the key is the second attempt's now.
    assert await book.settle_reply(WHERE, "a-1", reply_to("a-1")) is False
    assert await book.settle_reply(WHERE, "a-2", reply_to("a-2")) is True
    assert await book.settle(WHERE, "a-2", "unknown", reason="Server.Bus.Timeout") is False
    assert await book.extend(WHERE, "a-2", time.time() + 60) is False
    record = await book.read(WHERE)
    assert record is not None and (record.state, record.owner) == ("completed", "a-2")


async def test_a_key_claimed_for_another_request_is_not_taken_over(store: Store) -> None:
    book = book_on(store)
    await claim(book, "a-1")
    await book.settle_reply(WHERE, "a-1", reply_to("a-1", error=ProviderTimeout("hung")))
    assert await claim(book, "a-2", print_="another-body") == "unknown:a-1"


async def test_extend_keeps_the_holders_key_busy(store: Store) -> None:
    book = book_on(store)
    await claim(book, "a-1", hold=0.1)
    assert await book.extend(WHERE, "a-1", time.time() + 60) is True
    await asyncio.sleep(0.2)
    assert await claim(book, "a-2") == "a-1"


async def test_an_unreadable_record_is_replaced_rather_than_wedging_the_key(store: Store) -> None:
    await store.set(WHERE, b"not json")
    assert await claim(book_on(store), "a-1") == "a-1"


def test_only_success_client_errors_and_rejections_are_definitive() -> None:
    definitive = [None, "Client.BadRequest", "Client.AccessDenied", "Server.Provider.Rejected"]
    transient = [
        "Server.Provider.Timeout",
        "Server.Provider.BadResponse",
        "Server.Bus.CircuitOpen",
        "Server.Bus.Timeout",
    ]
    assert [is_definitive(kind) for kind in definitive] == [True] * 4
    assert [is_definitive(kind) for kind in transient] == [False] * 4
