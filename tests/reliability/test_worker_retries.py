"""Worker retries and dead letters, on the memory transport: what is retried, when, and where it ends."""

from __future__ import annotations

import asyncio
import itertools

from bus.codec import decode_envelope
from bus.dlq.record import REASON_RETRIES_EXHAUSTED, REASON_UNPARSEABLE, DeadLetter
from bus.errors import BadRequest, ProviderError, ProviderRejected, ProviderTimeout, ProviderUnavailable
from bus.transport import Message, dead_letter_queue
from tests.reliability.scripted import WAIT, ScriptedAdapter, Served, serving

FAST_RETRY = {"max_attempts": 4, "base_delay": 0.02, "max_delay": 0.05}


async def dead_letters(served: Served) -> list[Message]:
    """Everything in the service's DLQ (taken and acked: the test owns the broker)."""
    found = []
    while (delivery := await served.transport.get(dead_letter_queue(served.queue))) is not None:
        found.append(delivery.message)
        await delivery.ack()
    return found


async def test_retryable_failures_are_retried_with_rising_attempts_until_success() -> None:
    adapter = ScriptedAdapter([ProviderError("500"), ProviderTimeout("slow")])
    async with serving(adapter, retry=FAST_RETRY) as served:
        reply = await served.call(served.envelope({"n": 1}))
        assert reply.ok and reply.payload == {"answer": {"n": 1}, "attempt": 3}
        assert [attempt for attempt, _ in adapter.calls] == [1, 2, 3]
        assert served.workers[0].stats["retried"] == 2
        assert await dead_letters(served) == []


async def test_client_errors_and_provider_rejections_are_never_retried() -> None:
    for error in (BadRequest("bad field"), ProviderRejected("SOAP Client fault")):
        adapter = ScriptedAdapter([error, None])
        async with serving(adapter, retry=FAST_RETRY) as served:
            reply = await served.call(served.envelope())
            assert not reply.ok and reply.error is not None and reply.error.type == error.type
            await asyncio.sleep(0.2)  # time enough for any (wrong) retry to happen
            assert len(adapter.calls) == 1
            assert served.workers[0].stats["retried"] == 0
            assert await dead_letters(served) == []


async def test_exhausted_retries_dead_letter_the_message_and_reply_the_last_error() -> None:
    adapter = ScriptedAdapter([ProviderError("first"), ProviderError("second"), ProviderTimeout("third")])
    async with serving(adapter, retry={**FAST_RETRY, "max_attempts": 3}) as served:
        sent = served.envelope({"dossier": "HS-1"})
        reply = await served.call(sent)
        assert not reply.ok and reply.error is not None
        assert reply.error.type == "Server.Provider.Timeout"
        assert len(adapter.calls) == 3
        [buried] = await dead_letters(served)
        letter = DeadLetter.of(buried)
        assert letter.message_id == sent.message_id
        assert letter.reason == REASON_RETRIES_EXHAUSTED
        assert letter.attempts == 3
        assert letter.error_type == "Server.Provider.Timeout" and letter.error_message == "third"
        assert letter.queue == served.queue and letter.service == str(sent.service)
        assert letter.dead_lettered_by == "w1" and letter.dead_lettered_at is not None
        assert decode_envelope(buried).payload == {"dossier": "HS-1"}


async def test_a_rate_limited_providers_retry_after_is_waited_before_the_next_attempt() -> None:
    adapter = ScriptedAdapter([ProviderUnavailable("429", retry_after=0.4)])
    async with serving(adapter, retry={**FAST_RETRY, "max_delay": 0.02}) as served:
        reply = await served.call(served.envelope())
        assert reply.ok
        (_, first), (_, second) = adapter.calls
        assert second - first >= 0.4  # a floor set by the provider; backoff alone would be ≤ 0.02 s


async def test_retry_waits_are_bounded_by_the_backoff_ceilings() -> None:
    adapter = ScriptedAdapter([ProviderError("x")] * 3)
    steady = {"max_attempts": 4, "base_delay": 0.1, "max_delay": 1.0, "jitter": False}
    async with serving(adapter, retry=steady) as served:
        assert (await served.call(served.envelope())).ok
        times = [at for _, at in adapter.calls]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        # Without jitter each wait is at least its ceiling 0.1, 0.2, 0.4: the order of backoff, not speed.
        assert [gap >= floor for gap, floor in zip(gaps, (0.1, 0.2, 0.4), strict=True)] == [True] * 3
        assert gaps[0] < gaps[1] < gaps[2]


async def test_caller_whose_deadline_passes_before_the_retry_gets_the_error_and_the_work_completes() -> None:
    adapter = ScriptedAdapter([ProviderError("down for a moment")])
    slow_retry = {"max_attempts": 3, "base_delay": 0.5, "max_delay": 0.5, "jitter": False}
    async with serving(adapter, retry=slow_retry, timeout=0.3) as served:
        sent = served.envelope()
        reply = await served.call(sent)
        assert reply.error is not None and reply.error.type == "Server.Provider.InternalError"
        for _ in range(int(WAIT / 0.05)):
            if await served.workers[0].completed.reply_for(sent.message_id):
                break
            await asyncio.sleep(0.05)
        recorded = await served.workers[0].completed.reply_for(sent.message_id)
        assert recorded is not None and recorded.ok and recorded.payload == {"answer": None, "attempt": 2}


async def test_unparseable_message_lands_in_the_dlq_with_its_reason() -> None:
    async with serving(ScriptedAdapter()) as served:
        await served.transport.publish(served.queue, Message(body=b'{"not": "an envelope"}'))
        for _ in range(int(WAIT / 0.05)):
            if served.transport.broker.depth(dead_letter_queue(served.queue)):
                break
            await asyncio.sleep(0.05)
        [buried] = await dead_letters(served)
        letter = DeadLetter.of(buried)
        assert letter.reason == REASON_UNPARSEABLE and letter.error_type == "Client.BadRequest"
        assert buried.body == b'{"not": "an envelope"}'
        assert served.adapter.calls == []
