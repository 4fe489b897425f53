"""A publish or an ack queued in one step: the bytes aiormq would send, aiormq's confirm bookkeeping, and
aiormq's own basic_publish or basic_ack whenever the one step cannot be taken."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiormq
import pytest
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp.base import Frame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from bus.transport.amqp_frames import ack, publish, publish_payload
from bus.transport.amqp_wire import amqp_properties
from bus.transport.base import Message

MESSAGES = [
    Message(body=b'{"a":1}', reply_to="lgsp.reply.1", headers={"traceparent": "00-a-b-01", "n": 3}),
    Message(body=b"{}"),
    Message(body="<a>Nguyễn</a>".encode(), content_type="text/xml", headers={"flag": True}),
]


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize(
    ("channel_number", "routing_key", "mandatory"), [(1, "svc.q", True), (7, "r", False)]
)
def test_payload_is_the_bytes_aiormq_marshals(
    message: Message, channel_number: int, routing_key: str, mandatory: bool
) -> None:
    properties = amqp_properties(message)
    frames: list[Frame | ContentHeader | ContentBody] = [
        spec.Basic.Publish(exchange="", routing_key=routing_key, mandatory=mandatory),
        ContentHeader(properties=properties, body_size=len(message.body)),
        ContentBody(message.body),
    ]
    expected = ChannelFrame.marshall(channel_number=channel_number, frames=frames).payload
    assert publish_payload(channel_number, message.body, routing_key, properties, mandatory) == expected


class StubChannel(aiormq.Channel):
    """What `publish` and `ack` read and write of an aiormq channel; basic_publish and basic_ack record
    the fallback."""

    is_closed = False  # a plain attribute instead of aiormq's property

    def __init__(self, *, confirms: bool = True, max_content_size: int = 1000) -> None:
        self.number = 3
        self._Channel__lock = asyncio.Lock()
        self._Channel__close_event = asyncio.Event()
        self.write_queue: asyncio.Queue[ChannelFrame] = asyncio.Queue(maxsize=4)
        self.max_content_size = max_content_size
        self.publisher_confirms = confirms
        self.delivery_tag = 0
        self.confirmations: dict[int, asyncio.Future[Any]] = {}
        self.message_id_delivery_tag: dict[str, int] = {}
        self.fallbacks: list[bytes] = []
        self.acks: list[int] = []

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def basic_publish(self, body: bytes, **_: Any) -> None:
        self.fallbacks.append(body)

    async def basic_ack(self, delivery_tag: int, multiple: bool = False, wait: bool = True) -> None:
        self.acks.append(delivery_tag)


def _published(channel: StubChannel, message: Message, routing_key: str = "q") -> asyncio.Task[Any]:
    return asyncio.ensure_future(
        publish(
            cast(aiormq.Channel, channel),
            message.body,
            routing_key=routing_key,
            properties=amqp_properties(message),
            mandatory=True,
        )
    )


async def test_confirmed_publish_takes_the_next_tag_and_waits_for_its_confirm() -> None:
    channel = StubChannel()
    message = MESSAGES[0]
    publishing = _published(channel, message)
    await asyncio.sleep(0)
    queued = channel.write_queue.get_nowait()
    assert queued.payload == publish_payload(3, message.body, "q", amqp_properties(message), True)
    assert channel.delivery_tag == 1
    assert channel.message_id_delivery_tag == {message.message_id: 1}
    assert not publishing.done()
    ack = spec.Basic.Ack(delivery_tag=1)
    channel.confirmations.pop(1).set_result(ack)
    assert await publishing is ack
    assert channel.message_id_delivery_tag == {}  # forgotten once confirmed
    assert channel.fallbacks == []


async def test_a_nack_raises_from_the_publish() -> None:
    channel = StubChannel()
    publishing = _published(channel, MESSAGES[1])
    await asyncio.sleep(0)
    channel.confirmations.pop(1).set_exception(aiormq.exceptions.DeliveryError(None, spec.Basic.Nack(1)))
    with pytest.raises(aiormq.exceptions.DeliveryError):
        await publishing


async def test_unconfirmed_channel_returns_once_queued() -> None:
    channel = StubChannel(confirms=False)
    assert await _published(channel, MESSAGES[1]) is None
    assert channel.write_queue.qsize() == 1
    assert channel.delivery_tag == 0 and channel.confirmations == {}


async def test_a_held_lock_leaves_the_publish_to_aiormq() -> None:
    channel = StubChannel()
    async with channel._Channel__lock:
        await _published(channel, MESSAGES[1])
    assert channel.fallbacks == [MESSAGES[1].body]
    assert channel.write_queue.empty() and channel.delivery_tag == 0


async def test_a_full_write_queue_leaves_the_publish_to_aiormq() -> None:
    channel = StubChannel(confirms=False)
    for _ in range(4):
        await _published(channel, MESSAGES[1])
    await _published(channel, MESSAGES[1])
    assert len(channel.fallbacks) == 1


@pytest.mark.parametrize("body", [b"", b"x" * 1000])
async def test_a_body_not_of_one_frame_leaves_the_publish_to_aiormq(body: bytes) -> None:
    channel = StubChannel()
    await _published(channel, Message(body=body))
    assert channel.fallbacks == [body]


async def test_a_closed_channel_leaves_the_publish_to_aiormq() -> None:
    channel = StubChannel()
    channel.is_closed = True
    await _published(channel, MESSAGES[1])
    assert channel.fallbacks == [MESSAGES[1].body]


@pytest.mark.parametrize("delivery_tag", [1, 2**40 + 5])
async def test_ack_queues_the_frame_aiormq_marshals(delivery_tag: int) -> None:
    channel = StubChannel()
    await ack(cast(aiormq.Channel, channel), delivery_tag)
    expected = ChannelFrame.marshall(channel_number=3, frames=[spec.Basic.Ack(delivery_tag=delivery_tag)])
    assert channel.write_queue.get_nowait().payload == expected.payload
    assert channel.acks == []


async def test_ack_on_a_closing_channel_is_left_to_aiormq() -> None:
    channel = StubChannel()
    channel._Channel__close_event.set()
    await ack(cast(aiormq.Channel, channel), 9)
    assert channel.acks == [9]
    assert channel.write_queue.empty()
