"""Idempotency keys: one effect per key, across concurrent duplicates, replicas and restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from bus.errors import BusTimeout
from bus.gateway.idempotency import fingerprint
from bus.transport.base import Delivery, Message
from bus.transport.unconfirmed import PublishUnconfirmed
from bus.worker import Worker
from tests.gateway.conftest import OTHER, STP, CountedBus, CountingAdapter
from tests.in_process_stack import Backend, RecordingTransport, running_gateway

BODY = b'{"SoDinhDanh": "031190000001"}'


def keyed(key: str, headers: dict[str, str] = STP) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key, "content-type": "application/json"}


async def test_fifty_concurrent_duplicates_call_the_adapter_once(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        post = gateway.client.post
        calls = [post(bus.url("Count"), content=BODY, headers=keyed("k-50")) for _ in range(50)]
        responses = await asyncio.wait_for(asyncio.gather(*calls), 20)
    assert bus.count.calls == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["x-road-id"] for r in responses}) == 1  # every duplicate gets the first's answer
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 49


async def test_duplicates_across_two_gateways_sharing_a_store_call_the_adapter_once(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as first, running_gateway(bus, backend) as second:
        calls = [
            gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-two"))
            for _ in range(10)
            for gateway in (first, second)
        ]
        responses = await asyncio.wait_for(asyncio.gather(*calls), 20)
    assert bus.count.calls == 1
    assert len({(r.status_code, r.content) for r in responses}) == 1


async def test_a_restarted_gateway_returns_the_stored_answer(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as before:
        original = await before.client.post(bus.url("Count"), content=BODY, headers=keyed("k-restart"))
    async with running_gateway(bus, backend) as after:
        again = await after.client.post(bus.url("Count"), content=BODY, headers=keyed("k-restart"))
    assert original.status_code == 200 and "idempotent-replayed" not in original.headers
    assert (again.status_code, again.content) == (200, original.content)
    assert again.headers["x-road-id"] == original.headers["x-road-id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert bus.count.calls == 1


async def test_same_key_with_a_different_body_is_refused_naming_the_key(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-body"))
        changed = b'{"SoDinhDanh": "2"}'
        other = await gateway.client.post(bus.url("Count"), content=changed, headers=keyed("k-body"))
        first_again = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-body"))
    assert other.status_code == 422
    assert other.json()["type"] == "Client.BadRequest"
    assert "'k-body'" in other.json()["message"]
    assert first_again.status_code == 200 and first_again.headers["idempotent-replayed"] == "true"
    assert bus.count.calls == 1


async def test_keys_are_separate_per_client(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        mine = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-shared"))
        theirs = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-shared", OTHER))
    assert mine.json()["call"] != theirs.json()["call"]
    assert "idempotent-replayed" not in theirs.headers
    assert bus.count.calls == 2


async def test_a_retry_waits_for_an_attempt_in_flight_then_gets_409_naming_when_to_come_back(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        service = next(s for s in bus.catalog.services if s.id.service_code == "Unserved")
        book = gateway.router.idempotency.book
        # Another attempt holds the key, busy for a minute (its worker still at it, say).
        location = gateway.router.idempotency.store_key("VN/GOV/HPG/STP", str(service.id), "k-busy")
        print_ = fingerprint("POST", "", {}, BODY)
        await book.claim(location, print_, "other-attempt", transaction_id="t-1", until=time.time() + 60)
        started = time.monotonic()
        busy = await gateway.client.post(bus.url("Unserved"), content=BODY, headers=keyed("k-busy"))
        waited = time.monotonic() - started
    assert busy.status_code == 409 and busy.json()["type"] == "Client.Conflict"
    assert "still in progress" in busy.json()["message"]
    assert 50 <= int(busy.headers["retry-after"]) <= 60
    assert waited >= service.timeout  # it waited out its own deadline before giving up


async def test_a_key_whose_holder_died_is_taken_over_once_its_hold_lapses(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        service = next(s for s in bus.catalog.services if s.id.service_code == "Count")
        book = gateway.router.idempotency.book
        location = gateway.router.idempotency.store_key("VN/GOV/HPG/STP", str(service.id), "k-dead")
        print_ = fingerprint("POST", "", {}, BODY)
        await book.claim(location, print_, "dead-attempt", transaction_id="t-1", until=time.time() + 0.3)
        retried = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-dead"))
        record = await book.read(location)
    assert retried.status_code == 200 and bus.count.calls == 1
    assert record is not None and (record.state, record.attempts) == ("completed", 2)


async def test_a_bus_refusal_leaves_the_key_not_done_so_a_retry_runs_again(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        first = await gateway.client.post(bus.url("Unserved"), content=BODY, headers=keyed("k-noroute"))
        service = next(s for s in bus.catalog.services if s.id.service_code == "Unserved")
        location = gateway.router.idempotency.store_key("VN/GOV/HPG/STP", str(service.id), "k-noroute")
        record = await gateway.router.idempotency.book.read(location)
        second = await gateway.client.post(bus.url("Unserved"), content=BODY, headers=keyed("k-noroute"))
    assert first.json()["type"] == second.json()["type"] == "Server.Bus.NoRoute"
    assert record is not None and (record.state, record.reason) == ("not_done", "Server.Bus.NoRoute")
    assert "idempotent-replayed" not in second.headers
    assert first.headers["x-road-id"] != second.headers["x-road-id"]


async def test_a_transient_provider_failure_is_not_stored_and_the_retry_reaches_it_with_the_same_code(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        first = await gateway.client.post(bus.url("Failing"), content=BODY, headers=keyed("k-fail"))
        second = await gateway.client.post(bus.url("Failing"), content=BODY, headers=keyed("k-fail"))
        await gateway.client.post(bus.url("Failing"), content=BODY, headers=keyed("k-fail-2"))
    assert first.status_code == second.status_code == 502
    assert "idempotent-replayed" not in second.headers
    assert first.headers["x-road-id"] != second.headers["x-road-id"]  # two transactions ...
    codes = bus.failing.codes
    assert len(codes) == 3 and codes[0] == codes[1] != codes[2]  # ... one business request


async def test_a_definitive_provider_rejection_is_stored_and_replayed(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        first = await gateway.client.post(bus.url("Rejecting"), content=BODY, headers=keyed("k-rejected"))
        second = await gateway.client.post(bus.url("Rejecting"), content=BODY, headers=keyed("k-rejected"))
    assert first.status_code == second.status_code == 422
    assert first.json()["type"] == "Server.Provider.Rejected"
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert bus.rejecting.calls == 1


async def test_work_accepted_after_the_caller_timed_out_is_recorded_and_returned_to_its_retry(
    bus: CountedBus, backend: Backend
) -> None:
    service = next(s for s in bus.catalog.services if s.id.service_code == "Late")
    queue = service.id.queue_name
    declared = await bus.transport.consume(queue, _unused, prefetch=1)
    await declared.cancel()  # the queue exists, nobody serves it yet
    late = CountingAdapter()
    store = backend.store()
    worker = Worker(
        bus.catalog, bus.transport, {"late": late}, name="late", only=[str(service.id)], store=store
    )
    async with running_gateway(bus, backend) as gateway:
        timed_out = await gateway.client.post(bus.url("Late"), content=BODY, headers=keyed("k-late"))
        too_soon = await gateway.client.post(bus.url("Late"), content=BODY, headers=keyed("k-late"))
        await worker.start()
        try:
            for _ in range(100):
                if late.calls:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)
            retried = await gateway.client.post(bus.url("Late"), content=BODY, headers=keyed("k-late"))
        finally:
            await worker.stop()
    assert timed_out.status_code == 504 and timed_out.json()["type"] == "Server.Bus.Timeout"
    assert "retry with the same Idempotency-Key" in timed_out.json()["message"]
    assert too_soon.status_code == 409  # the bus still holds the first: no second run meanwhile
    assert retried.status_code == 200 and retried.headers["idempotent-replayed"] == "true"
    assert retried.headers["x-road-id"] == timed_out.headers["x-road-id"]
    assert late.calls == 1


class LatePublish(RecordingTransport):
    """Every request's publish is unconfirmed at its deadline (raises PublishUnconfirmed); the message
    reaches the queue only after the late wait for its reply has ended, so its worker runs it unseen."""

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        async def outcome() -> Message:
            await asyncio.sleep(0.1)
            await self.inner.publish(queue, dataclasses.replace(message, reply_to=None))
            raise BusTimeout("accepted late and not answered in time")

        raise PublishUnconfirmed("publish unconfirmed", asyncio.ensure_future(outcome()))


async def test_a_keyed_call_answered_202_for_a_late_publish_gets_the_workers_outcome_on_retry(
    bus: CountedBus, backend: Backend
) -> None:
    late = dataclasses.replace(bus, transport=LatePublish(bus.transport.inner))
    async with running_gateway(late, backend) as gateway:
        first = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-unconfirmed"))
        assert first.status_code == 202, first.text
        state: dict[str, object] = {}
        for _ in range(100):
            state = (await gateway.client.get(first.headers["location"], headers=STP)).json()
            if state["state"] == "done":
                break
            await asyncio.sleep(0.05)
        for _ in range(100):
            if bus.count.calls:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the worker records its outcome under the key
        retried = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-unconfirmed"))
    assert state["state"] == "done" and state["status"] == 504  # the caller saw an open outcome ...
    assert retried.status_code == 200, retried.text  # ... and its retry gets what the bus did
    assert retried.headers["idempotent-replayed"] == "true" and bus.count.calls == 1


async def _unused(delivery: Delivery) -> None:
    raise AssertionError("this consumer is cancelled before anything is published")


async def test_bad_json_with_a_key_is_refused_and_leaves_the_key_unused(
    bus: CountedBus, backend: Backend
) -> None:
    async with running_gateway(bus, backend) as gateway:
        bad = await gateway.client.post(bus.url("Count"), content=b'{"a": ', headers=keyed("k-bad"))
        good = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed("k-bad"))
    assert bad.status_code == 400
    assert good.status_code == 200 and "idempotent-replayed" not in good.headers


async def test_an_empty_key_is_refused_and_nothing_is_sent(bus: CountedBus, backend: Backend) -> None:
    async with running_gateway(bus, backend) as gateway:
        refused = await gateway.client.post(bus.url("Count"), content=BODY, headers=keyed(" "))
    assert refused.status_code == 400 and "idempotency-key" in refused.json()["message"]
    assert bus.count.calls == 0
