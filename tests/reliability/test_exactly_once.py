"""One business request, one effect: fresh attempt deadlines, prompt redelivery after a worker dies,
key outcomes recorded by the worker, breaker and retries in agreement (memory; RabbitMQ + Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import JsonValue

from bus.codec import envelope_message
from bus.dlq.inspect import DeadLetterQueues, LetterFilter
from bus.envelope import Envelope
from bus.errors import ProviderError, ProviderTimeout
from bus.key_states import KeyBook, envelope_key_location
from bus.reliability.dedupe import WORK_LEASE_SECONDS
from bus.worker import DUPLICATE_RECHECK_SECONDS
from tests.backends import BACKENDS, Backend, open_backend
from tests.reliability.scripted import WAIT, ScriptedAdapter, Served, serving


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request) as opened:
        yield opened


async def eventually(check: object, *, within: float = WAIT) -> None:
    """Poll `check()` (sync or async) until it is true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not true within {within} s")


def keyed(served: Served, key: str, *, timeout: float | None = None) -> Envelope:
    return served.envelope({"n": 1}, timeout=timeout).model_copy(update={"idempotency_key": key})


async def claim_as_gateway(served: Served, envelope: Envelope) -> tuple[KeyBook, str]:
    """Claim the envelope's key the way the gateway does before publishing it."""
    book = KeyBook(served.workers[0].store, ttl=60)
    location = envelope_key_location(envelope)
    assert location is not None
    until = time.time() + 60
    await book.claim(
        location, "print", envelope.message_id, transaction_id=envelope.correlation_id, until=until
    )
    return book, location


async def test_every_attempt_after_the_callers_deadline_reaches_the_provider_with_a_fresh_deadline(
    backend: Backend,
) -> None:
    adapter = ScriptedAdapter([ProviderTimeout("hung"), ProviderError("down")])
    retry = {"max_attempts": 3, "base_delay": 0.05, "max_delay": 0.05}
    async with serving(adapter, backend=backend, retry=retry, timeout=2.0) as served:
        late = served.envelope(timeout=0.01)
        await asyncio.sleep(0.05)  # its caller's deadline passed while it sat in a queue
        await served.transport.publish(served.queue, envelope_message(late))
        await eventually(lambda: len(adapter.calls) == 3)
    assert [attempt for attempt, _ in adapter.calls] == [1, 2, 3]
    assert min(adapter.budgets) > 1.8  # each attempt had the service's whole time-out, from its start
    assert len(set(adapter.codes)) == 1 and adapter.codes[0] == late.correlation_id


async def test_a_killed_workers_message_is_taken_up_by_another_within_seconds(backend: Backend) -> None:
    class HangsFirst(ScriptedAdapter):
        async def handle(self, request: Envelope) -> JsonValue:
            first = not self.calls
            answer = await super().handle(request)
            if first:
                await asyncio.Event().wait()  # the worker dies mid-call
            return answer

    adapter = HangsFirst()
    async with serving(adapter, backend=backend, workers=2, timeout=30.0) as served:
        sent = served.envelope(timeout=30.0)
        await served.transport.publish(served.queue, envelope_message(sent))
        await eventually(lambda: len(adapter.calls) == 1)
        holder = next(worker for worker in served.workers if worker._in_flight)
        killed_at = time.monotonic()
        await holder.transport.close()  # its deliveries go back to the queue, its lease is left behind
        await eventually(lambda: len(adapter.calls) == 2)
        taken_up = time.monotonic() - killed_at
    assert taken_up < WORK_LEASE_SECONDS + DUPLICATE_RECHECK_SECONDS + 1.0, taken_up
    assert adapter.codes[0] == adapter.codes[1]


async def test_a_dead_lettered_keyed_request_leaves_its_key_unknown_and_its_replay_completes_it(
    backend: Backend,
) -> None:
    adapter = ScriptedAdapter([ProviderError("down")] * 2)
    retry = {"max_attempts": 2, "base_delay": 0.05, "max_delay": 0.05}
    async with serving(adapter, backend=backend, retry=retry) as served:
        sent = keyed(served, "k-replay", timeout=0.5)
        book, location = await claim_as_gateway(served, sent)
        reply = await served.call(sent)
        assert reply.error is not None and reply.error.type == "Server.Provider.InternalError"
        record = await book.read(location)
        assert record is not None and (record.state, record.reason) == ("unknown", reply.error.type)
        # The fault is cleared; the operator replays the dead letter long after its caller's deadline.
        await asyncio.sleep(0.6)
        queues = DeadLetterQueues(served.transport, served.workers[0].store, [served.queue])
        assert (await queues.replay(LetterFilter(message_id=sent.message_id))).replayed == [sent.message_id]
        await eventually(lambda: len(adapter.calls) == 3)
        await eventually(lambda: _state(book, location, "completed"))
        assert await queues.letters() == []
    assert len(set(adapter.codes)) == 1  # one business request at the provider, three attempts


async def _state(book: KeyBook, location: str, wanted: str) -> bool:
    record = await book.read(location)
    return record is not None and record.state == wanted


async def test_a_keyed_request_whose_caller_stopped_waiting_is_completed_under_its_key(
    backend: Backend,
) -> None:
    adapter = ScriptedAdapter([ProviderError("down for a moment")])
    slow_retry = {"max_attempts": 3, "base_delay": 0.5, "max_delay": 0.5, "jitter": False}
    async with serving(adapter, backend=backend, retry=slow_retry, timeout=0.3) as served:
        sent = keyed(served, "k-late")
        book, location = await claim_as_gateway(served, sent)
        early = await served.call(sent)
        assert early.error is not None and early.settled is False  # the bus carries on
        await eventually(lambda: _state(book, location, "completed"))
        record = await book.read(location)
    assert record is not None and record.answer is not None and record.answer.status == 200


async def test_failures_that_never_reached_the_provider_do_not_count_against_its_breaker(
    backend: Backend,
) -> None:
    def expired() -> ProviderTimeout:
        error = ProviderTimeout("deadline passed before scripted was called")
        error.provider_called = False
        return error

    adapter = ScriptedAdapter([expired() for _ in range(6)])
    breaker = {"failure_ratio": 0.5, "window": 10, "min_calls": 2, "open_seconds": 5}
    async with serving(adapter, backend=backend, retry={"max_attempts": 1}, breaker=breaker) as served:
        for _ in range(6):
            assert not (await served.call(served.envelope())).ok
        state = await served.workers[0].breakers["scripted"].state()
    assert (state.state, state.calls, state.failures) == ("closed", 0, 0)


async def test_a_retry_refused_by_an_open_circuit_comes_back_after_its_half_open_time(
    backend: Backend,
) -> None:
    adapter = ScriptedAdapter([ProviderError("down")])
    breaker = {"failure_ratio": 1.0, "window": 10, "min_calls": 1, "open_seconds": 1.0}
    retry = {"max_attempts": 3, "base_delay": 0.05, "max_delay": 0.05}
    async with serving(adapter, backend=backend, retry=retry, breaker=breaker) as served:
        reply = await served.call(served.envelope())
    # Attempt 1 failed and opened the circuit; attempt 2 was refused without a call and scheduled
    # after the open period, so attempt 3 was the half-open probe, which succeeded.
    assert reply.ok
    assert [attempt for attempt, _ in adapter.calls] == [1, 3]
    assert adapter.calls[1][1] - adapter.calls[0][1] >= 1.0


async def test_a_call_longer_than_the_work_lease_keeps_it_so_a_duplicate_never_calls_twice(
    backend: Backend,
) -> None:
    adapter = ScriptedAdapter(delay=WORK_LEASE_SECONDS + 1.0)
    async with serving(adapter, backend=backend, workers=2, timeout=30.0) as served:
        sent = served.envelope(timeout=30.0)
        await served.transport.publish(served.queue, envelope_message(sent))
        await eventually(lambda: len(adapter.calls) == 1)
        await served.transport.publish(served.queue, envelope_message(sent))  # a duplicate copy
        await eventually(lambda: sum(w.stats["answered_from_record"] for w in served.workers) == 1)
    assert len(adapter.calls) == 1
