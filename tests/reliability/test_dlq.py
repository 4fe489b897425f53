"""DLQ tooling: list with filters, show, idempotent replay that the worker then completes, purge."""

from __future__ import annotations

import asyncio

from bus.codec import envelope_message
from bus.dlq.inspect import DeadLetterQueues, LetterFilter
from bus.dlq.record import REASON_RETRIES_EXHAUSTED
from bus.envelope import scoped_transaction_id
from bus.errors import ProviderError
from bus.store import MemoryStore
from bus.transport import dead_letter_queue
from tests.reliability.scripted import WAIT, ScriptedAdapter, Served, serving

ONE_SHOT = {"max_attempts": 1}


async def bury(served: Served, count: int) -> list[str]:
    """Send `count` requests that exhaust their (single) attempt; their message ids."""
    ids = []
    for n in range(count):
        sent = served.envelope({"n": n})
        assert not (await served.call(sent)).ok
        ids.append(sent.message_id)
    return ids


async def test_list_and_show_read_dead_letters_without_removing_them() -> None:
    adapter = ScriptedAdapter([ProviderError("down")] * 3)
    async with serving(adapter, retry=ONE_SHOT) as served:
        ids = await bury(served, 3)
        queues = DeadLetterQueues(served.transport, MemoryStore(), [served.queue])
        letters = await queues.letters()
        assert [letter.message_id for letter in letters] == ids
        assert {letter.reason for letter in letters} == {REASON_RETRIES_EXHAUSTED}
        assert await queues.letters(LetterFilter(error_type="Server.Provider")) == letters
        assert await queues.letters(LetterFilter(error_type="Client.")) == []
        assert await queues.letters(LetterFilter(older_than=3600)) == []
        assert len(await queues.letters(limit=2)) == 2
        found = await queues.show(ids[1])
        assert found is not None and found[0].message_id == ids[1]
        assert served.transport.broker.depth(dead_letter_queue(served.queue)) == 3  # all given back


async def test_a_dead_letter_names_its_client_and_both_transaction_ids() -> None:
    adapter = ScriptedAdapter([ProviderError("down")])
    async with serving(adapter, retry=ONE_SHOT) as served:
        sent = served.envelope({})
        bus_id = scoped_transaction_id(str(sent.client), "caller-7")
        sent = sent.model_copy(update={"correlation_id": bus_id, "caller_transaction_id": "caller-7"})
        assert not (await served.call(sent)).ok
        [letter] = await DeadLetterQueues(served.transport, MemoryStore(), [served.queue]).letters()
    assert (letter.client, letter.caller_transaction_id) == (str(sent.client), "caller-7")
    assert letter.correlation_id == bus_id != "caller-7"


async def test_replay_republishes_once_and_the_worker_completes_it() -> None:
    adapter = ScriptedAdapter([ProviderError("down")])
    async with serving(adapter, retry=ONE_SHOT) as served:
        [buried] = await bury(served, 1)
        # The workers' store: replay clears the completed-work record so the worker really redoes it.
        queues = DeadLetterQueues(served.transport, served.workers[0].store, [served.queue])
        first = await queues.replay(LetterFilter(message_id=buried))
        assert first.replayed == [buried]
        for _ in range(int(WAIT / 0.05)):
            if len(adapter.calls) == 2:
                break
            await asyncio.sleep(0.05)
        recorded = await served.workers[0].completed.reply_for(buried)
        assert recorded is not None and recorded.ok  # the provider is back: the replay succeeded
        assert adapter.calls[1][0] == 1  # attempts count afresh
        assert await queues.letters() == []

        # The same message dead-lettered again (e.g. a duplicate copy) is not replayed twice.
        duplicate = served.envelope().model_copy(update={"message_id": buried})
        await served.transport.publish(dead_letter_queue(served.queue), envelope_message(duplicate))
        again = await queues.replay(LetterFilter(message_id=buried))
        assert again.replayed == [] and again.already_replayed == [buried]
        assert len(adapter.calls) == 2
        assert [letter.message_id for letter in await queues.letters()] == [buried]  # left in place


async def test_two_copies_of_one_dead_message_are_replayed_once_and_the_second_removed() -> None:
    adapter = ScriptedAdapter([ProviderError("down")])
    async with serving(adapter, retry=ONE_SHOT) as served:
        [buried] = await bury(served, 1)
        # A publish retried after a broker cut can queue one message twice; both copies may die.
        copy = served.envelope().model_copy(update={"message_id": buried})
        await served.transport.publish(dead_letter_queue(served.queue), envelope_message(copy))
        queues = DeadLetterQueues(served.transport, served.workers[0].store, [served.queue])
        outcome = await queues.replay(LetterFilter())
        assert (outcome.replayed, outcome.duplicates_removed) == ([buried], [buried])
        assert outcome.already_replayed == []
        for _ in range(int(WAIT / 0.05)):
            if len(adapter.calls) == 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        assert len(adapter.calls) == 2  # the first try and one replay, not two
        assert await queues.letters() == []


async def test_purge_removes_only_the_matching_letters() -> None:
    adapter = ScriptedAdapter([ProviderError("down")] * 2)
    async with serving(adapter, retry=ONE_SHOT) as served:
        keep, drop = await bury(served, 2)
        queues = DeadLetterQueues(served.transport, MemoryStore(), [served.queue])
        assert await queues.purge(LetterFilter(message_id=drop)) == [drop]
        assert [letter.message_id for letter in await queues.letters()] == [keep]
