"""Memory-only behaviour the contract leaves open: strict round-robin, DLQ semantics, shared brokers."""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace

import pytest

from bus.errors import InternalError, NoRoute
from bus.transport import Delivery, Handler, MemoryBroker, MemoryTransport, Message, dead_letter_queue

WAIT = 5.0


@pytest.fixture
async def transport() -> MemoryTransport:
    """A connected memory transport whose service queues allow two deliveries."""
    memory = MemoryTransport(delivery_limit=2)
    await memory.connect()
    return memory


def recorder(into: list[bytes], *, ack: bool = True) -> Handler:
    """A handler appending each body to `into` (acking it unless told not to)."""

    async def handle(delivery: Delivery) -> None:
        into.append(delivery.message.body)
        if ack:
            await delivery.ack()

    return handle


async def settle() -> None:
    """Let every ready handler task run (memory dispatch is immediate, handlers run on the next turns)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_consumers_with_spare_prefetch_take_turns_strictly(transport: MemoryTransport) -> None:
    first: list[bytes] = []
    second: list[bytes] = []
    await transport.consume("q", recorder(first))
    await transport.consume("q", recorder(second))
    for n in range(6):
        await transport.publish("q", Message(body=str(n).encode()))
    await settle()
    assert (first, second) == ([b"0", b"2", b"4"], [b"1", b"3", b"5"])


async def test_a_dead_letter_queue_has_no_delivery_limit(transport: MemoryTransport) -> None:
    counts: list[int] = []
    done = asyncio.Event()

    async def always_fail(delivery: Delivery) -> None:
        counts.append(delivery.delivery_count)
        if delivery.delivery_count < 6:
            await delivery.nack(requeue=True)
        else:
            await delivery.ack()
            done.set()

    await transport.consume("q", lambda delivery: delivery.nack(requeue=False))
    await transport.consume(dead_letter_queue("q"), always_fail)
    await transport.publish("q", Message(body=b"x"))
    await asyncio.wait_for(done.wait(), WAIT)
    assert counts == [1, 2, 3, 4, 5, 6]  # well past the limit of 2, still redelivered


async def test_a_message_rejected_from_a_dead_letter_queue_is_dropped(transport: MemoryTransport) -> None:
    seen: list[bytes] = []

    async def reject(delivery: Delivery) -> None:
        seen.append(delivery.message.body)
        await delivery.nack(requeue=False)

    await transport.consume(dead_letter_queue("q"), reject)
    await transport.publish(dead_letter_queue("q"), Message(body=b"x"))
    await settle()
    assert seen == [b"x"]
    assert transport.broker.depth(dead_letter_queue("q")) == 0
    with pytest.raises(NoRoute):  # and no dead-letter queue of a dead-letter queue was made up
        await transport.publish(dead_letter_queue(dead_letter_queue("q")), Message(body=b"y"))


async def test_late_ack_from_a_cancelled_consumer_is_ignored(transport: MemoryTransport) -> None:
    held: asyncio.Queue[Delivery] = asyncio.Queue()
    subscription = await transport.consume("q", lambda delivery: held.put(delivery))
    await transport.publish("q", Message(body=b"x"))
    orphan = await asyncio.wait_for(held.get(), WAIT)
    await subscription.cancel()
    await orphan.ack()  # too late: the message is already back in the queue
    assert transport.broker.depth("q") == 1


async def test_queues_keep_messages_while_nobody_consumes(transport: MemoryTransport) -> None:
    subscription = await transport.consume("q", lambda delivery: delivery.ack())
    await subscription.cancel()
    for n in range(3):
        await transport.publish("q", Message(body=str(n).encode()))
    assert transport.broker.depth("q") == 3
    got: list[bytes] = []
    await transport.consume("q", recorder(got))
    await settle()
    assert got == [b"0", b"1", b"2"]


async def test_transports_on_one_broker_share_queues_and_separate_brokers_do_not() -> None:
    broker = MemoryBroker()
    worker, gateway, stranger = MemoryTransport(broker), MemoryTransport(broker), MemoryTransport()
    for transport in (worker, gateway, stranger):
        await transport.connect()
    got: list[bytes] = []
    await worker.consume("q", recorder(got))
    await gateway.publish("q", Message(body=b"shared"))
    await settle()
    assert got == [b"shared"]
    with pytest.raises(NoRoute):
        await stranger.publish("q", Message(body=b"elsewhere"))


async def test_unconnected_transport_refuses_to_publish() -> None:
    with pytest.raises(InternalError):
        await MemoryTransport().publish("q", Message(body=b"x"))


def test_delivery_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        MemoryTransport(delivery_limit=0)


async def test_a_request_reaches_its_queue_unchanged_but_for_the_transports_reply_address(
    transport: MemoryTransport,
) -> None:
    # Message's fields, each kept by the copy that carries the reply address: a new field must be too.
    assert [f.name for f in fields(Message)] == [
        "body", "message_id", "correlation_id", "reply_to", "headers", "content_type", "written_from",
    ]  # fmt: skip
    seen: list[Message] = []

    async def answer(delivery: Delivery) -> None:
        seen.append(delivery.message)
        await transport.reply(delivery.message.reply_to or "", Message(b"ok", correlation_id="c-1"))
        await delivery.ack()

    await transport.consume("svc.addressed", answer)
    sent = Message(b"q", message_id="m-1", correlation_id="c-1", reply_to="ignored",
                   headers={"x-service": "s"}, content_type="text/plain",
                   written_from=(b"q", "model"))  # fmt: skip
    assert (await transport.request("svc.addressed", sent, timeout=WAIT)).body == b"ok"
    (received,) = seen
    assert received.reply_to is not None and received.reply_to.startswith("lgsp.reply.")
    assert received == replace(sent, reply_to=received.reply_to)
    assert received.written_from == (b"q", "model")
