"""Reliability primitives of the transport contract, on memory and RabbitMQ: delay, get, bounds, drain."""

from __future__ import annotations

import asyncio

import pytest

from bus.errors import NoRoute, Overloaded
from bus.transport import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_REJECTED,
    Delivery,
    Message,
    Transport,
    dead_letter_queue,
)
from tests.transport.test_transport_contract import WAIT, Inbox


async def declare(transport: Transport, queue: str, **options: int) -> None:
    """Declare `queue` (and its DLQ) the only way the contract allows: consume it, then cancel."""
    subscription = await transport.consume(queue, Inbox(), **options)
    await subscription.cancel()


async def test_delayed_message_arrives_after_its_delay_with_body_headers_and_ids(
    transport: Transport, queue_name: str
) -> None:
    inbox = Inbox()
    await transport.consume(queue_name, inbox)
    sent = Message(body=b'{"retry": true}', headers={"x-attempt": 2})
    await transport.publish_delayed(queue_name, sent, 0.5)
    assert await inbox.nothing_more(settle=0.3)  # not before its delay
    got = await inbox.next()
    assert got.message.body == sent.body
    assert got.message.message_id == sent.message_id
    assert got.message.correlation_id == sent.correlation_id
    assert dict(got.message.headers) == {"x-attempt": 2}
    assert got.delivery_count == 1


async def test_delayed_messages_arrive_in_the_order_of_their_delays(
    transport: Transport, queue_name: str
) -> None:
    inbox = Inbox()
    await transport.consume(queue_name, inbox)
    await transport.publish_delayed(queue_name, Message(body=b"late"), 1.0)
    await transport.publish_delayed(queue_name, Message(body=b"early"), 0.1)
    assert [(await inbox.next()).message.body for _ in range(2)] == [b"early", b"late"]


async def test_delayed_publish_to_an_undeclared_queue_raises_no_route(
    transport: Transport, queue_name: str
) -> None:
    with pytest.raises(NoRoute):
        await transport.publish_delayed(queue_name, Message(body=b"x"), 0.1)


async def test_negative_delay_is_refused(transport: Transport, queue_name: str) -> None:
    await declare(transport, queue_name)
    with pytest.raises(ValueError, match="delay"):
        await transport.publish_delayed(queue_name, Message(body=b"x"), -1)


async def test_get_takes_messages_in_order_and_hides_them_until_settled(
    transport: Transport, queue_name: str
) -> None:
    await declare(transport, queue_name)
    for body in (b"one", b"two"):
        await transport.publish(queue_name, Message(body=body))
    first = await asyncio.wait_for(transport.get(queue_name), WAIT)
    second = await asyncio.wait_for(transport.get(queue_name), WAIT)
    assert first is not None and second is not None
    assert (first.message.body, second.message.body) == (b"one", b"two")
    assert await transport.get(queue_name) is None  # both held unacked: invisible
    await first.nack(requeue=True)
    await second.nack(requeue=True)  # returns go out in the order they came back
    again = await transport.get(queue_name)
    assert again is not None and again.message.body == b"one"
    await again.ack()
    last = await transport.get(queue_name)
    assert last is not None and last.message.body == b"two"
    await last.ack()
    assert await transport.get(queue_name) is None


async def test_get_on_an_undeclared_queue_raises_no_route(transport: Transport, queue_name: str) -> None:
    with pytest.raises(NoRoute):
        await transport.get(queue_name)


async def test_messages_held_by_get_return_to_the_queue_when_the_transport_closes(
    new_transport: object, queue_name: str
) -> None:
    make = new_transport
    browser: Transport = await make()  # type: ignore[operator]
    other: Transport = await make()  # type: ignore[operator]
    await declare(other, queue_name)
    await other.publish(queue_name, Message(body=b"held"))
    assert await browser.get(queue_name) is not None
    await browser.close()
    inbox = Inbox()
    await other.consume(queue_name, inbox)
    assert (await inbox.next()).message.body == b"held"


async def test_publish_beyond_max_length_is_refused_with_overloaded_and_changes_nothing(
    transport: Transport, queue_name: str
) -> None:
    await declare(transport, queue_name, max_length=3)
    for n in range(3):
        await transport.publish(queue_name, Message(body=str(n).encode()))
    with pytest.raises(Overloaded, match="full"):
        await transport.publish(queue_name, Message(body=b"one too many"))
    inbox = Inbox()
    await transport.consume(queue_name, inbox, max_length=3)  # RabbitMQ refuses changed arguments
    assert [(await inbox.next()).message.body for _ in range(3)] == [b"0", b"1", b"2"]
    assert await inbox.nothing_more()
    await transport.publish(queue_name, Message(body=b"room again"))  # drained: accepted
    assert (await inbox.next()).message.body == b"room again"


async def test_drain_lets_the_running_handler_finish_and_ack_but_takes_nothing_new(
    new_transport: object, queue_name: str
) -> None:
    make = new_transport
    worker: Transport = await make()  # type: ignore[operator]
    started, release, finished = asyncio.Event(), asyncio.Event(), []

    async def slow(delivery: Delivery) -> None:
        started.set()
        await release.wait()
        await delivery.ack()
        finished.append(delivery.message.body)

    subscription = await worker.consume(queue_name, slow, prefetch=1)
    await worker.publish(queue_name, Message(body=b"in flight"))
    await asyncio.wait_for(started.wait(), WAIT)
    await worker.publish(queue_name, Message(body=b"waiting"))
    draining = asyncio.create_task(subscription.drain(WAIT))
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.wait_for(draining, WAIT)
    assert finished == [b"in flight"]
    survivor = Inbox()
    await worker.consume(queue_name, survivor)
    got = await survivor.next()
    assert got.message.body == b"waiting" and got.delivery_count == 1  # never handed to the drained one
    assert await survivor.nothing_more()


async def test_drain_requeues_work_that_outlasts_its_timeout(new_transport: object, queue_name: str) -> None:
    make = new_transport
    worker: Transport = await make()  # type: ignore[operator]
    started = asyncio.Event()

    async def stuck(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(3600)

    subscription = await worker.consume(queue_name, stuck)
    await worker.publish(queue_name, Message(body=b"too slow"))
    await asyncio.wait_for(started.wait(), WAIT)
    await asyncio.wait_for(subscription.drain(0.2), WAIT)
    inbox = Inbox()
    await worker.consume(queue_name, inbox)
    got = await inbox.next()
    assert got.message.body == b"too slow" and got.delivery_count == 2


async def test_message_rejected_after_a_delayed_retry_names_the_service_queue_as_its_origin(
    transport: Transport, queue_name: str
) -> None:
    inbox, dead = Inbox(ack=False), Inbox()
    await transport.consume(queue_name, inbox)
    await transport.consume(dead_letter_queue(queue_name), dead)
    await transport.publish_delayed(queue_name, Message(body=b"retried"), 0.05)
    await (await inbox.next()).nack(requeue=False)
    buried = await dead.next()
    assert buried.message.headers[DEATH_REASON_HEADER] == REASON_REJECTED
    assert buried.message.headers[ORIGINAL_QUEUE_HEADER] == queue_name
