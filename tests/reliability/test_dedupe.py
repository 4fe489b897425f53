"""Worker dedupe: redeliveries of completed work are answered from the record; duplicates in flight wait."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bus.codec import decode_reply, envelope_message
from bus.transport import Message
from tests.reliability.scripted import WAIT, ScriptedAdapter, serving


async def test_redelivered_completed_message_is_answered_from_its_record_without_a_second_call() -> None:
    adapter = ScriptedAdapter()
    async with serving(adapter) as served:
        sent = served.envelope({"dossier": "HS-7"})
        first = await served.call(sent)
        second = await served.call(sent)  # the same message id again, as after a lost ack
        assert first.ok and second.ok and second.payload == first.payload
        assert len(adapter.calls) == 1
        assert served.workers[0].stats["answered_from_record"] == 1


async def test_the_same_message_on_two_workers_at_once_calls_the_provider_once() -> None:
    adapter = ScriptedAdapter(delay=0.3)
    async with serving(adapter, workers=2, concurrency=4) as served:
        sent = served.envelope({"dossier": "HS-8"}, timeout=WAIT)
        message = envelope_message(sent)
        replies: asyncio.Queue[bytes] = asyncio.Queue()
        address = "test.replies"
        served.transport.broker.add_reply_sink(address, lambda m: replies.put_nowait(m.body))
        for _ in range(2):
            await served.transport.publish(served.queue, replace(message, reply_to=address))
        answers = [decode_reply(Message(body=await asyncio.wait_for(replies.get(), WAIT))) for _ in range(2)]
        assert [a.ok for a in answers] == [True, True]
        assert len(adapter.calls) == 1
        assert sum(w.stats["in_flight_duplicates"] for w in served.workers) >= 1
