"""The transport contract, written once and run on the memory transport and on RabbitMQ."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from bus.errors import BusTimeout, DuplicateRequest, InternalError, NoRoute
from bus.transport import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_DELIVERY_LIMIT,
    REASON_REJECTED,
    Delivery,
    Handler,
    Message,
    Transport,
    dead_letter_queue,
)

TransportFactory = Callable[..., Awaitable[Transport]]  # the `new_transport` fixture

WAIT = 10.0  # upper bound on any single wait; tests finish far sooner when things work


class Inbox:
    """A handler that records deliveries (optionally acking them) for the test to await one by one."""

    def __init__(self, *, ack: bool = True) -> None:
        self.ack = ack
        self.received: asyncio.Queue[Delivery] = asyncio.Queue()

    async def __call__(self, delivery: Delivery) -> None:
        if self.ack:
            await delivery.ack()
        self.received.put_nowait(delivery)

    async def next(self) -> Delivery:
        """The next delivery, failing the test if none comes within WAIT seconds."""
        return await asyncio.wait_for(self.received.get(), WAIT)

    async def nothing_more(self, settle: float = 0.3) -> bool:
        """True if no further delivery arrives within `settle` seconds."""
        await asyncio.sleep(settle)
        return self.received.empty()


def echo_replier(transport: Transport) -> Handler:
    """A service handler answering each request with its own body, prefixed (as the worker answers)."""

    async def reply(delivery: Delivery) -> None:
        assert delivery.message.reply_to is not None
        answer = Message(body=b"re:" + delivery.message.body, correlation_id=delivery.message.correlation_id)
        await transport.reply(delivery.message.reply_to, answer)
        await delivery.ack()

    return reply


async def test_published_message_reaches_the_consumer_with_body_headers_and_ids(
    transport: Transport, queue_name: str
) -> None:
    inbox = Inbox()
    await transport.consume(queue_name, inbox)
    sent = Message(body=b'{"a": 1}', headers={"x-tenant": "HPG", "x-attempt": 2, "x-flag": True})
    await transport.publish(queue_name, sent)
    got = await inbox.next()
    assert got.message.body == sent.body
    assert got.message.message_id == sent.message_id
    assert got.message.correlation_id == sent.correlation_id
    assert dict(got.message.headers) == {"x-tenant": "HPG", "x-attempt": 2, "x-flag": True}
    assert got.delivery_count == 1


async def test_request_gets_the_reply_published_to_its_reply_address(
    new_transport: TransportFactory, queue_name: str
) -> None:
    caller, service = await new_transport(), await new_transport()
    await service.consume(queue_name, echo_replier(service))
    request = Message(body=b"ping")
    reply = await caller.request(queue_name, request, timeout=WAIT)
    assert reply.body == b"re:ping"
    assert reply.correlation_id == request.correlation_id


async def test_request_without_reply_raises_bus_timeout_and_a_late_reply_is_dropped(
    transport: Transport, queue_name: str, queue_names: Callable[[], str]
) -> None:
    held = Inbox(ack=False)
    await transport.consume(queue_name, held)
    with pytest.raises(BusTimeout):
        await transport.request(queue_name, Message(body=b"slow"), timeout=0.3)
    late = await held.next()
    assert late.message.reply_to is not None
    await transport.publish(
        late.message.reply_to, Message(body=b"too late", correlation_id=late.message.correlation_id)
    )
    await late.ack()
    # The transport is unharmed: the next request on the same reply address still works.
    second_queue = queue_names()
    await transport.consume(second_queue, echo_replier(transport))
    assert (await transport.request(second_queue, Message(body=b"x"), timeout=WAIT)).body == b"re:x"


async def test_publish_to_an_undeclared_queue_raises_no_route(transport: Transport, queue_name: str) -> None:
    with pytest.raises(NoRoute):
        await transport.publish(queue_name, Message(body=b"lost"))
    with pytest.raises(NoRoute):
        await transport.request(queue_name, Message(body=b"lost"), timeout=WAIT)


async def test_nacked_message_is_redelivered_with_delivery_count(
    transport: Transport, queue_name: str
) -> None:
    inbox = Inbox(ack=False)
    await transport.consume(queue_name, inbox)
    await transport.publish(queue_name, Message(body=b"retry me"))
    first = await inbox.next()
    await first.nack(requeue=True)
    second = await inbox.next()
    assert second.message.message_id == first.message.message_id
    assert (first.delivery_count, second.delivery_count) == (1, 2)
    await second.ack()
    assert await inbox.nothing_more()


async def test_message_is_dead_lettered_after_the_delivery_limit_with_the_reason(
    new_transport: TransportFactory, queue_name: str
) -> None:
    transport = await new_transport(delivery_limit=3)
    inbox, dead = Inbox(ack=False), Inbox()
    await transport.consume(queue_name, inbox)
    sent = Message(body=b"poison", headers={"x-tenant": "HPG"})
    await transport.publish(queue_name, sent)
    counts = []
    for _ in range(3):
        delivery = await inbox.next()
        counts.append(delivery.delivery_count)
        await delivery.nack(requeue=True)
    assert counts == [1, 2, 3]
    await transport.consume(dead_letter_queue(queue_name), dead)
    buried = await dead.next()
    assert buried.message.body == b"poison"
    assert buried.message.message_id == sent.message_id
    assert buried.message.headers[DEATH_REASON_HEADER] == REASON_DELIVERY_LIMIT
    assert buried.message.headers[ORIGINAL_QUEUE_HEADER] == queue_name
    assert buried.message.headers["x-tenant"] == "HPG"
    assert await inbox.nothing_more()


async def test_nack_without_requeue_dead_letters_at_once(transport: Transport, queue_name: str) -> None:
    inbox, dead = Inbox(ack=False), Inbox()
    await transport.consume(queue_name, inbox)
    await transport.consume(dead_letter_queue(queue_name), dead)
    await transport.publish(queue_name, Message(body=b"reject me"))
    await (await inbox.next()).nack(requeue=False)
    buried = await dead.next()
    assert buried.message.body == b"reject me"
    assert buried.message.headers[DEATH_REASON_HEADER] == REASON_REJECTED
    assert buried.message.headers[ORIGINAL_QUEUE_HEADER] == queue_name
    assert await inbox.nothing_more()


async def test_200_concurrent_requests_each_get_their_own_reply(
    new_transport: TransportFactory, queue_name: str
) -> None:
    caller, service = await new_transport(), await new_transport()
    await service.consume(queue_name, echo_replier(service), prefetch=50)
    bodies = [f"request-{n}".encode() for n in range(200)]
    replies = await asyncio.gather(
        *(caller.request(queue_name, Message(body=body), timeout=WAIT) for body in bodies)
    )
    assert [reply.body for reply in replies] == [b"re:" + body for body in bodies]


async def test_a_request_under_a_correlation_id_still_waiting_is_refused_unsent_and_the_first_answered(
    transport: Transport, queue_name: str
) -> None:
    held = Inbox(ack=False)
    await transport.consume(queue_name, held)
    first = asyncio.ensure_future(
        transport.request(queue_name, Message(body=b"1", correlation_id="c-1"), WAIT)
    )
    got = await held.next()
    with pytest.raises(DuplicateRequest, match="'c-1'"):
        await transport.request(queue_name, Message(body=b"2", correlation_id="c-1"), timeout=WAIT)
    assert await held.nothing_more()  # the second was never published
    assert got.message.reply_to is not None
    await transport.reply(got.message.reply_to, Message(body=b"re:1", correlation_id="c-1"))
    await got.ack()
    assert (await asyncio.wait_for(first, WAIT)).body == b"re:1"


async def test_prefetch_caps_unacked_deliveries_per_consumer(transport: Transport, queue_name: str) -> None:
    inbox = Inbox(ack=False)
    await transport.consume(queue_name, inbox, prefetch=2)
    for n in range(5):
        await transport.publish(queue_name, Message(body=str(n).encode()))
    held = [await inbox.next(), await inbox.next()]
    assert await inbox.nothing_more()
    await held[0].ack()
    third = await inbox.next()
    assert third.message.body == b"2"
    assert await inbox.nothing_more()


async def test_consumers_on_one_queue_share_its_messages(transport: Transport, queue_name: str) -> None:
    first, second = Inbox(ack=False), Inbox(ack=False)
    await transport.consume(queue_name, first, prefetch=1)
    await transport.consume(queue_name, second, prefetch=1)
    await transport.publish(queue_name, Message(body=b"a"))
    await transport.publish(queue_name, Message(body=b"b"))
    got = {(await first.next()).message.body, (await second.next()).message.body}
    assert got == {b"a", b"b"}


async def test_declared_queue_keeps_messages_while_nobody_consumes(
    transport: Transport, queue_name: str
) -> None:
    subscription = await transport.consume(queue_name, Inbox())
    await subscription.cancel()
    for n in range(3):
        await transport.publish(queue_name, Message(body=str(n).encode()))
    inbox = Inbox()
    await transport.consume(queue_name, inbox)
    assert [(await inbox.next()).message.body for _ in range(3)] == [b"0", b"1", b"2"]


async def test_message_of_a_consumer_that_dies_mid_message_is_redelivered_to_another(
    new_transport: TransportFactory, queue_name: str
) -> None:
    dying, survivor = await new_transport(), await new_transport()
    started = Inbox(ack=False)
    await dying.consume(queue_name, started)
    await dying.publish(queue_name, Message(body=b"work"))
    assert (await started.next()).delivery_count == 1
    taker = Inbox()
    await survivor.consume(queue_name, taker)
    await dying.close()  # the worker process dies without acking
    redelivered = await taker.next()
    assert redelivered.message.body == b"work"
    assert redelivered.delivery_count == 2


async def test_cancelled_subscription_returns_its_unacked_message_to_the_queue(
    transport: Transport, queue_name: str
) -> None:
    held, taker = Inbox(ack=False), Inbox()
    subscription = await transport.consume(queue_name, held)
    await transport.publish(queue_name, Message(body=b"work"))
    await held.next()
    await transport.consume(queue_name, taker)
    await subscription.cancel()
    redelivered = await taker.next()
    assert (redelivered.message.body, redelivered.delivery_count) == (b"work", 2)


async def test_handler_exception_leads_to_redelivery(transport: Transport, queue_name: str) -> None:
    seen: asyncio.Queue[int] = asyncio.Queue()

    async def flaky(delivery: Delivery) -> None:
        seen.put_nowait(delivery.delivery_count)
        if delivery.delivery_count == 1:
            raise RuntimeError("provider blew up")
        await delivery.ack()

    await transport.consume(queue_name, flaky)
    await transport.publish(queue_name, Message(body=b"x"))
    assert [await asyncio.wait_for(seen.get(), WAIT) for _ in range(2)] == [1, 2]


async def test_utf8_json_body_with_vietnamese_text_arrives_byte_for_byte(
    transport: Transport, queue_name: str
) -> None:
    inbox = Inbox()
    await transport.consume(queue_name, inbox)
    payload = {"HoVaTen": "Nguyễn Thị Hằng", "QueQuan": "Xã Đông Hải, Hải Phòng", "DanToc": "01"}
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await transport.publish(queue_name, Message(body=body, headers={"x-note": "Sở Tư pháp"}))
    got = await inbox.next()
    assert got.message.body == body
    assert json.loads(got.message.body) == payload
    assert got.message.headers["x-note"] == "Sở Tư pháp"


async def test_close_fails_pending_requests(transport: Transport, queue_name: str) -> None:
    held = Inbox(ack=False)
    await transport.consume(queue_name, held)
    pending = asyncio.ensure_future(transport.request(queue_name, Message(body=b"x"), timeout=WAIT))
    await held.next()
    await transport.close()
    with pytest.raises(InternalError):
        await asyncio.wait_for(pending, WAIT)


async def request_from_a_caller_that_goes_away(
    new_transport: TransportFactory, queue_name: str
) -> tuple[Transport, Inbox, Delivery]:
    """A service holding (unacked) a request whose caller then closed: (service, its inbox, the request)."""
    caller, service = await new_transport(), await new_transport()
    held = Inbox(ack=False)
    await service.consume(queue_name, held)
    orphan = asyncio.ensure_future(caller.request(queue_name, Message(body=b"1"), timeout=WAIT))
    first = await held.next()
    await caller.close()
    with pytest.raises(InternalError):
        await orphan
    assert first.message.reply_to is not None
    return service, held, first


async def test_reply_to_a_caller_that_went_away_raises_no_route_and_the_consumer_carries_on(
    new_transport: TransportFactory, queue_name: str
) -> None:
    service, held, first = await request_from_a_caller_that_goes_away(new_transport, queue_name)
    with pytest.raises(NoRoute):
        await service.publish(first.message.reply_to, Message(body=b"answer", correlation_id="x"))
    await first.ack()
    await service.publish(queue_name, Message(body=b"2"))
    assert (await held.next()).message.body == b"2"


async def test_an_answer_to_a_caller_that_went_away_is_dropped_and_the_consumer_carries_on(
    new_transport: TransportFactory, queue_name: str, queue_names: Callable[[], str]
) -> None:
    service, _, first = await request_from_a_caller_that_goes_away(new_transport, queue_name)
    await service.reply(first.message.reply_to, Message(body=b"answer", correlation_id="x"))
    await first.ack()
    # Nothing broke on the answering side: its next request and answer go through.
    second_caller = await new_transport()
    echo_queue = queue_names()
    await service.consume(echo_queue, echo_replier(service))
    answer = await second_caller.request(echo_queue, Message(body=b"2"), timeout=WAIT)
    assert answer.body == b"re:2"


async def test_settling_a_delivery_twice_is_refused(transport: Transport, queue_name: str) -> None:
    inbox = Inbox(ack=False)
    await transport.consume(queue_name, inbox)
    await transport.publish(queue_name, Message(body=b"x"))
    delivery = await inbox.next()
    await delivery.ack()
    with pytest.raises(RuntimeError):
        await delivery.nack()


async def test_bad_arguments_are_refused_and_change_nothing(transport: Transport, queue_name: str) -> None:
    with pytest.raises(ValueError):
        await transport.consume(queue_name, Inbox(), prefetch=0)
    with pytest.raises(NoRoute):  # the refused consume declared nothing
        await transport.publish(queue_name, Message(body=b"x"))
    with pytest.raises(ValueError):
        await transport.request(queue_name, Message(body=b"x"), timeout=0)
