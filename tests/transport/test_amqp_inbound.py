"""The hot inbound frames dispatched as they are read: what the consumer and the awaited confirm get is what
aiormq's own reader would give them (decoded by aiormq's FrameReceiver), and every other frame or unusual
case reaches aiormq's reader as it came, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import aiormq
import pamqp.frame
import pytest
from aiormq.abc import DeliveredMessage
from aiormq.connection import FrameReceiver
from pamqp import commands as spec
from pamqp.base import Frame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from bus.transport.amqp_inbound import FrameStreamReader, InboundFrames, InboundProtocol, decode_deliver
from bus.transport.amqp_wire import amqp_properties
from bus.transport.base import Message

CHANNEL = 3
TAG = "lgsp.0123456789abcdef"
MESSAGE = Message(body=b'{"a":1}', reply_to="lgsp.reply.1", headers={"traceparent": "00-a-b-01", "n": 3})
DELIVERIES = [
    spec.Basic.Deliver(consumer_tag=TAG, delivery_tag=1, redelivered=False, exchange="", routing_key="svc.q"),
    spec.Basic.Deliver(
        consumer_tag=TAG, delivery_tag=2**40, redelivered=True, exchange="lgsp.dlx", routing_key="q"
    ),
    spec.Basic.Deliver(consumer_tag=TAG, delivery_tag=7, exchange="", routing_key="hàng.đợi." + "x" * 200),
]


def _frame(frame: Frame | ContentHeader | ContentBody, channel: int = CHANNEL) -> bytes:
    return pamqp.frame.marshal(frame, channel)


def _delivery(deliver: spec.Basic.Deliver, message: Message = MESSAGE, channel: int = CHANNEL) -> bytes:
    header = ContentHeader(body_size=len(message.body), properties=amqp_properties(message))
    return b"".join(
        (_frame(deliver, channel), _frame(header, channel), _frame(ContentBody(message.body), channel))
    )


def _ack(delivery_tag: int, multiple: bool = False, channel: int = CHANNEL) -> bytes:
    return _frame(spec.Basic.Ack(delivery_tag=delivery_tag, multiple=multiple), channel)


def _fields(value: Any) -> dict[str, Any]:
    names = getattr(value, "__slots__", None) or vars(value)
    return {name: getattr(value, name) for name in names if name != "properties"}


async def _aiormq_reads(data: bytes) -> list[Any]:
    """The frames aiormq's own FrameReceiver decodes from `data`."""
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    receiver = FrameReceiver(reader)
    frames = []
    while not reader.at_eof():
        frames.append((await receiver.get_frame())[2])
    return frames


class StubChannel(aiormq.Channel):
    """What InboundFrames reads of an aiormq channel, with aiormq's own `_confirm_delivery`."""

    is_closed = False  # a plain attribute instead of aiormq's property

    def __init__(self, loop: asyncio.AbstractEventLoop, *, confirms: bool = True) -> None:
        self.number = CHANNEL
        self._Channel__close_event = asyncio.Event()
        self.frames: asyncio.Queue[Any] = asyncio.Queue()
        self.publisher_confirms = confirms
        self.confirmations: dict[int, Any] = {}
        self.consumers: dict[str, Any] = {}
        self.received: list[DeliveredMessage] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.loop = loop

    def create_task(self, coro: Any) -> Any:
        task = self.loop.create_task(coro)
        self.tasks.append(task)
        return task

    def consume(self) -> None:
        async def consumer(message: DeliveredMessage) -> None:
            self.received.append(message)

        self.consumers[TAG] = consumer


class StubConnection:
    """What InboundFrames reads and writes of an aiormq connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop, channel: StubChannel) -> None:
        self.loop = loop
        self.channels = {CHANNEL: channel}
        self._Connection__last_frame_time = 0.0


@pytest.fixture
async def channel() -> StubChannel:
    stub = StubChannel(asyncio.get_running_loop())
    stub.consume()
    return stub


@pytest.fixture
async def reader() -> FrameStreamReader:
    return FrameStreamReader()


@pytest.fixture
async def frames(reader: FrameStreamReader, channel: StubChannel) -> InboundFrames:
    inbound = InboundFrames(reader)
    inbound.bind(cast(aiormq.Connection, StubConnection(asyncio.get_running_loop(), channel)))
    return inbound


def _unread(reader: FrameStreamReader) -> bytes:
    return bytes(reader._buffer)  # type: ignore[attr-defined]


@pytest.mark.parametrize("deliver", DELIVERIES)
async def test_deliver_arguments_decode_as_aiormq_decodes_them(deliver: spec.Basic.Deliver) -> None:
    data = _frame(deliver)
    (expected,) = await _aiormq_reads(data)
    assert _fields(decode_deliver(data, 11, len(data) - 1)) == _fields(expected)


@pytest.mark.parametrize("deliver", DELIVERIES)
async def test_a_delivery_reaches_the_consumer_as_aiormq_reads_it(
    deliver: spec.Basic.Deliver, frames: InboundFrames, reader: FrameStreamReader, channel: StubChannel
) -> None:
    data = _delivery(deliver)
    frames.feed(data)
    await asyncio.gather(*channel.tasks)
    method, header, body = await _aiormq_reads(data)
    (message,) = channel.received
    assert _fields(message.delivery) == _fields(method)
    assert _fields(message.header) == _fields(header)
    assert _fields(message.header.properties) == _fields(header.properties)
    assert message.body == body.value
    assert message.channel is channel
    assert _unread(reader) == b""


async def test_a_delivery_read_in_pieces_is_dispatched_once_whole(
    frames: InboundFrames, reader: FrameStreamReader, channel: StubChannel
) -> None:
    data = _delivery(DELIVERIES[0]) + _ack(5)
    channel.confirmations[5] = asyncio.get_running_loop().create_future()
    for start in range(0, len(data), 5):
        frames.feed(data[start : start + 5])
        if start + 5 < len(data) - len(_ack(5)):
            assert not channel.tasks
    await asyncio.gather(*channel.tasks)
    assert [message.body for message in channel.received] == [MESSAGE.body]
    assert channel.confirmations == {}
    assert _unread(reader) == b""


async def test_a_dispatch_counts_as_a_frame_read_for_the_heartbeat(frames: InboundFrames) -> None:
    connection = cast(Any, frames)._connection
    frames.feed(_delivery(DELIVERIES[0]))
    assert connection._Connection__last_frame_time == pytest.approx(asyncio.get_running_loop().time(), abs=1)


async def test_a_confirm_settles_the_awaited_publish_with_aiormq_s_frame(
    frames: InboundFrames, reader: FrameStreamReader, channel: StubChannel
) -> None:
    confirmation = asyncio.get_running_loop().create_future()
    channel.confirmations[9] = confirmation
    frames.feed(_ack(9))
    (expected,) = await _aiormq_reads(_ack(9))
    assert _fields(confirmation.result()) == _fields(expected)
    assert channel.confirmations == {}
    assert _unread(reader) == b""


async def test_a_multiple_confirm_settles_every_tag_up_to_its_own(
    frames: InboundFrames, channel: StubChannel
) -> None:
    loop = asyncio.get_running_loop()
    awaited = {tag: loop.create_future() for tag in (3, 4, 5, 6)}
    channel.confirmations.update(awaited)
    frames.feed(_ack(5, multiple=True))
    await asyncio.sleep(0)
    assert [tag for tag, future in awaited.items() if future.done()] == [3, 4, 5]
    assert awaited[5].result().multiple is True
    assert list(channel.confirmations) == [6]


@pytest.fixture
async def unusual(
    request: pytest.FixtureRequest, channel: StubChannel, reader: FrameStreamReader
) -> AsyncIterator[bytes]:
    """Bytes that aiormq must read itself, the channel and reader made unusual as the case says."""
    loop = asyncio.get_running_loop()
    channel.confirmations[9] = loop.create_future()
    case = request.param
    if case == "nack":
        yield _frame(spec.Basic.Nack(delivery_tag=9))
    elif case == "ack of a tag not awaited":
        yield _ack(10)
    elif case == "ack on a channel without confirms":
        channel.publisher_confirms = False
        yield _ack(9)
    elif case == "unknown consumer tag":
        channel.consumers.clear()
        yield _delivery(DELIVERIES[0])
    elif case == "empty body":
        yield _delivery(DELIVERIES[0], Message(body=b""))[: -len(_frame(ContentBody(b"")))]
    elif case == "body of two frames":
        header = ContentHeader(body_size=4, properties=amqp_properties(MESSAGE))
        yield _frame(DELIVERIES[0]) + _frame(header) + _frame(ContentBody(b"ab")) + _frame(ContentBody(b"cd"))
    elif case == "another channel's frame between":
        other = _ack(1, channel=CHANNEL + 1)
        data = _delivery(DELIVERIES[0])
        method = len(_frame(DELIVERIES[0]))
        yield data[:method] + other + data[method:]
    elif case == "channel closing":
        channel._Channel__close_event.set()
        yield _delivery(DELIVERIES[0])
    elif case == "unknown channel":
        yield _delivery(DELIVERIES[0], channel=CHANNEL + 1)
    elif case == "channel queue not empty":
        channel.frames.put_nowait((0, spec.Basic.QosOk()))
        yield _delivery(DELIVERIES[0])
    elif case == "aiormq has not read all it was given":
        reader.feed_data(_frame(spec.Basic.QosOk()))
        yield _delivery(DELIVERIES[0])
    elif case == "after another frame in the same read":
        yield _frame(spec.Basic.QosOk()) + _delivery(DELIVERIES[0]) + _ack(9)
    elif case == "aiormq's frame log at DEBUG":
        logger = logging.getLogger("aiormq.connection")
        level = logger.level
        logger.setLevel(logging.DEBUG)
        yield _delivery(DELIVERIES[0])
        logger.setLevel(level)
    elif case == "a heartbeat":
        yield pamqp.frame.marshal(pamqp.heartbeat.Heartbeat(), 0)
    else:
        raise AssertionError(case)


@pytest.mark.parametrize(
    "unusual",
    [
        "nack",
        "ack of a tag not awaited",
        "ack on a channel without confirms",
        "unknown consumer tag",
        "empty body",
        "body of two frames",
        "another channel's frame between",
        "channel closing",
        "unknown channel",
        "channel queue not empty",
        "aiormq has not read all it was given",
        "after another frame in the same read",
        "aiormq's frame log at DEBUG",
        "a heartbeat",
    ],
    indirect=True,
)
async def test_every_other_case_is_read_by_aiormq_as_it_came(
    unusual: bytes, frames: InboundFrames, reader: FrameStreamReader, channel: StubChannel
) -> None:
    already = _unread(reader)
    frames.feed(unusual)
    await asyncio.sleep(0)
    assert _unread(reader) == already + unusual
    assert channel.received == [] and not channel.tasks
    assert not channel.confirmations[9].done()


async def test_an_unbound_connection_s_bytes_all_go_to_aiormq(reader: FrameStreamReader) -> None:
    inbound = InboundFrames(reader)
    data = _delivery(DELIVERIES[0]) + _ack(9)
    inbound.feed(data[:10])
    inbound.feed(data[10:])
    assert _unread(reader) == data


async def test_a_protocol_header_goes_to_aiormq_as_it_came_and_so_does_what_follows(
    frames: InboundFrames, reader: FrameStreamReader
) -> None:
    refusal = b"AMQP\x00\x00\x09\x01"
    frames.feed(refusal[:3])
    frames.feed(refusal[3:])
    frames.feed(_delivery(DELIVERIES[0]))
    assert _unread(reader) == refusal + _delivery(DELIVERIES[0])


async def test_an_incomplete_frame_reaches_aiormq_when_the_connection_ends(reader: FrameStreamReader) -> None:
    protocol = InboundProtocol(reader, asyncio.get_running_loop())
    data = _delivery(DELIVERIES[0])
    body = len(_frame(ContentBody(MESSAGE.body)))
    protocol.data_received(data[:-3])
    assert _unread(reader) == data[:-body]  # whole frames only until then
    protocol.eof_received()
    assert _unread(reader) == data[:-3]
    assert reader.at_eof() is False and reader._eof  # type: ignore[attr-defined]
