"""The bus event model and its publisher, on the memory transport and on RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import pytest
from pydantic import ValidationError

from bus.errors import NoRoute
from bus.events import (
    BusEvent,
    EventPublisher,
    TransportEventPublisher,
    decode_event,
    encode_event,
    event_id_for,
    event_queue,
)
from bus.transport import AmqpTransport, Delivery, MemoryTransport, Transport, dead_letter_queue


def test_event_survives_the_wire_unchanged_with_vietnamese_text() -> None:
    event = BusEvent(type="payment.confirmed", source="VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1",
                     data={"payer": "Nguyễn Thị Hồng Nhung", "amount_vnd": 70_000})  # fmt: skip
    message = encode_event(event)
    assert message.message_id == event.event_id
    assert decode_event(message) == event


@pytest.mark.parametrize(
    "bad_type", ["", "payment", "Payment.Confirmed", "payment..confirmed", "payment.confirmed."]
)
def test_event_type_must_be_a_dotted_lower_case_name(bad_type: str) -> None:
    with pytest.raises(ValidationError, match="type"):
        BusEvent(type=bad_type, source="VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1")


def test_event_id_is_stable_for_a_key_and_differs_between_keys() -> None:
    assert event_id_for("paygov:HPG_LGSP:HS-1") == event_id_for("paygov:HPG_LGSP:HS-1")
    assert event_id_for("paygov:HPG_LGSP:HS-1") != event_id_for("paygov:HPG_LGSP:HS-2")


def test_each_event_type_has_its_own_queue() -> None:
    assert event_queue("parcel.status_changed") == "lgsp.events.parcel.status_changed"


async def _round_trip(transport: Transport, event_type: str) -> BusEvent:
    received: asyncio.Queue[BusEvent] = asyncio.Queue()

    async def keep(delivery: Delivery) -> None:
        await received.put(decode_event(delivery.message))
        await delivery.ack()

    publisher: EventPublisher = TransportEventPublisher(transport)
    subscription = await transport.consume(event_queue(event_type), keep)
    sent = BusEvent(type=event_type, source="VN/COM/VNPOST/BCCP/postOrder/v1", data={"status_code": 4})
    await publisher.publish(sent)
    async with asyncio.timeout(5):
        got = await received.get()
    await subscription.cancel()
    assert got == sent
    return got


async def test_published_event_is_consumed_from_its_queue_on_the_memory_transport() -> None:
    transport = MemoryTransport()
    await transport.connect()
    try:
        await _round_trip(transport, "parcel.status_changed")
    finally:
        await transport.close()


async def test_publishing_before_any_consumer_declared_the_queue_is_no_route() -> None:
    transport = MemoryTransport()
    await transport.connect()
    try:
        with pytest.raises(NoRoute):
            await TransportEventPublisher(transport).publish(BusEvent(type="payment.confirmed", source="x"))
    finally:
        await transport.close()


@pytest.mark.amqp
async def test_published_event_is_consumed_from_its_queue_on_rabbitmq(amqp_url: str) -> None:
    event_type = f"test.e{uuid.uuid4().hex[:12]}"
    transport = AmqpTransport(amqp_url, connection_name="test-callbacks-events")
    await transport.connect()
    try:
        await _round_trip(transport, event_type)
    finally:
        await transport.close()
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            for queue in (event_queue(event_type), dead_letter_queue(event_queue(event_type))):
                await channel.queue_delete(queue)
