"""Dead letters say whether their work had its effect, where the bus can know: "none" when no attempt can
have reached the provider, "unknown" when any attempt may have acted, "happened" when the worker recorded
the provider's successful answer and only the answer's delivery failed."""

from __future__ import annotations

from bus.codec import envelope_message, reply_message
from bus.dlq.inspect import DeadLetterQueues
from bus.envelope import Reply
from bus.errors import BusUnavailable, CircuitOpen, ProviderError, ProviderTimeout
from bus.reliability.dedupe import CompletedWork
from bus.store import MemoryStore
from bus.transport import dead_letter_queue
from tests.reliability.scripted import ScriptedAdapter, Served, serving

RETRY = {"max_attempts": 2, "base_delay": 0.01, "max_delay": 0.02}


async def only_letter(served: Served) -> tuple[str, str]:
    sent = served.envelope({"n": 1})
    assert not (await served.call(sent)).ok
    [letter] = await DeadLetterQueues(served.transport, served.workers[0].store, [served.queue]).letters()
    assert letter.message_id == sent.message_id
    return letter.effect, letter.error_type or ""


async def test_letter_whose_attempts_all_failed_before_any_call_says_no_effect() -> None:
    adapter = ScriptedAdapter([CircuitOpen("open"), BusUnavailable("store down")])
    async with serving(adapter, retry=RETRY) as served:
        assert await only_letter(served) == ("none", "Server.Bus.Unavailable")


async def test_letter_with_any_attempt_that_may_have_acted_says_unknown_even_if_the_last_did_not() -> None:
    adapter = ScriptedAdapter([ProviderTimeout("no answer in time"), CircuitOpen("open")])
    async with serving(adapter, retry=RETRY) as served:
        assert await only_letter(served) == ("unknown", "Server.Bus.CircuitOpen")


async def test_letter_after_a_provider_error_says_unknown() -> None:
    adapter = ScriptedAdapter([ProviderError("500"), ProviderError("500")])
    async with serving(adapter, retry=RETRY) as served:
        assert await only_letter(served) == ("unknown", "Server.Provider.InternalError")


async def test_letter_the_broker_dead_lettered_after_a_recorded_success_says_happened() -> None:
    adapter = ScriptedAdapter()
    store = MemoryStore()
    async with serving(adapter, store=store) as served:
        envelope = served.envelope({"n": 2})
        # The provider answered and the worker recorded it; then its ack kept failing until the broker
        # dead-lettered the message at its delivery limit (no verdict header on such letters).
        done = Reply.success(envelope, {"ok": True}, worker="w1")
        await CompletedWork(store).record(envelope.message_id, reply_message(done).body)
        message = envelope_message(envelope)
        await served.transport.publish(dead_letter_queue(served.queue), message)
        unanswered = served.envelope({"n": 3})
        await served.transport.publish(dead_letter_queue(served.queue), envelope_message(unanswered))
        letters = await DeadLetterQueues(served.transport, store, [served.queue]).letters()
        assert {letter.message_id: letter.effect for letter in letters} == {
            envelope.message_id: "happened",
            unanswered.message_id: "unknown",
        }
