"""A delivery's three frames and a publish's confirm handed to aiormq's channel as they are read.

aiormq reads each frame in its connection's reader task (three awaited `readexactly` under a lock, a
`BytesIO`, pamqp's generic unmarshal), puts it on the channel's queue, and the channel's reader task
takes it off again: a delivery's three frames pass through both tasks before the consumer's task
starts, a confirm's one likewise. `InboundFrames` sits in the socket's protocol, where the bytes
arrive, and splits them into whole frames. A basic.deliver whose content header and single body frame
came with it, for a consumer of an open channel, becomes aiormq's `DeliveredMessage` (its header decoded
by amqp_content_header) and starts the consumer's task as aiormq starts it; a basic.ack of a confirm the
channel awaits is settled by the channel's own `_confirm_delivery`, as aiormq settles it. Only while
aiormq has read all it was given and the channel's queue is empty, so that no frame overtakes an earlier
one of its channel. Every other frame, and these in any unusual case (a nack, an ack of a tag not
awaited, an unknown consumer tag, an empty body or one of several frames, a decoding error, aiormq's
frame log at DEBUG, the connection not bound yet), goes to aiormq's reader as it came, and so does
everything after it in the same read.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

import aiormq
import aiormq.connection
from aiormq.abc import DeliveredMessage
from pamqp import commands as spec
from pamqp import constants

from bus.transport.amqp_content_header import decode_content_header

_FRAME_HEADER = struct.Struct(">BHI")
_HEAD = _FRAME_HEADER.size
_METHOD_INDEX = struct.Struct(">I")
_TAG_AND_BITS = struct.Struct(">QB")
_BODY_SIZE = struct.Struct(">HHQ")  # a content header's class id, weight and body size
_FRAME_TYPES = frozenset(
    (constants.FRAME_METHOD, constants.FRAME_HEADER, constants.FRAME_BODY, constants.FRAME_HEARTBEAT)
)
_ACK_SIZE = _METHOD_INDEX.size + _TAG_AND_BITS.size
_DELIVER = spec.Basic.Deliver.index
_ACK = spec.Basic.Ack.index
# What `_take` answers besides the position after the frames it dispatched.
_SLOW = -1  # aiormq reads it
_WAIT = -2  # a delivery whose next frames are still to come
# aiormq's reader logs every frame it reads at DEBUG: while that is on, every frame goes through it.
_FRAME_LOG = logging.getLogger(aiormq.connection.__name__)
_LAST_FRAME_TIME = "_Connection__last_frame_time"  # what aiormq's heartbeat reads to tell a stuck peer
_CLOSE_EVENT = "_Channel__close_event"


class FrameStreamReader(asyncio.StreamReader):
    """aiormq's stream reader, which tells whether aiormq has read all it was given."""

    def drained(self) -> bool:
        """Whether every byte fed was read: aiormq then dispatched those frames in the same task step."""
        return not self._buffer  # type: ignore[attr-defined]


class InboundFrames:
    """The bytes read from one connection's socket, split into frames: the hot ones dispatched here once
    `bind` names the aiormq connection, everything else fed to `reader` in order."""

    def __init__(self, reader: FrameStreamReader) -> None:
        self._reader = reader
        self._connection: aiormq.Connection | None = None
        self._held = b""  # an incomplete frame (or a delivery's frames), to be completed by the next read
        self._passthrough = False  # not AMQP frames (say, a protocol header refusing ours): all to aiormq

    def bind(self, connection: aiormq.Connection) -> None:
        """Dispatch the hot frames of `connection`, the aiormq connection reading from this socket."""
        if hasattr(connection, _LAST_FRAME_TIME):
            self._connection = connection

    def feed(self, data: bytes) -> None:
        """Take what the socket read."""
        if self._passthrough:
            self._reader.feed_data(data)
            return
        buffer = self._held + data if self._held else data
        end = len(buffer)
        position = 0
        # Where the frames for aiormq start in `buffer` (-1: none yet, the frames are taken here).
        fast = self._connection is not None and self._reader.drained()
        slow_from = -1 if fast and not _FRAME_LOG.isEnabledFor(logging.DEBUG) else 0
        dispatched = False
        while end - position >= _HEAD:
            kind, number, size = _FRAME_HEADER.unpack_from(buffer, position)
            if kind not in _FRAME_TYPES:
                self._passthrough = True
                self._held = b""
                self._reader.feed_data(buffer[slow_from if slow_from >= 0 else position :])
                return
            following = position + _HEAD + size + 1
            if following > end:
                break
            if slow_from < 0:
                taken = self._take(buffer, position, following, end, number)
                if taken == _WAIT:
                    break
                if taken != _SLOW:
                    position = taken
                    dispatched = True
                    continue
                slow_from = position
            position = following
        if dispatched:
            connection = self._connection
            assert connection is not None
            setattr(connection, _LAST_FRAME_TIME, connection.loop.time())
        if slow_from >= 0 and position > slow_from:
            self._reader.feed_data(
                buffer if slow_from == 0 and position == end else buffer[slow_from:position]
            )
        self._held = buffer[position:] if position < end else b""

    def flush(self) -> None:
        """Give aiormq what is held (an incomplete frame: the connection is ending)."""
        held, self._held = self._held, b""
        if held:
            self._reader.feed_data(held)

    def _take(self, buffer: bytes, position: int, following: int, end: int, number: int) -> int:
        """Dispatch the frame at `position` (with a delivery's next two): the position after them, or
        _SLOW, or _WAIT."""
        if buffer[position] != constants.FRAME_METHOD or buffer[following - 1] != constants.FRAME_END:
            return _SLOW
        assert self._connection is not None
        channel = self._connection.channels.get(number)
        if not isinstance(channel, aiormq.Channel) or not _idle(channel):
            return _SLOW
        at = position + _HEAD
        index = _METHOD_INDEX.unpack_from(buffer, at)[0]
        if index == _ACK:
            return following if following - at - 1 == _ACK_SIZE and _confirm(channel, buffer, at) else _SLOW
        if index == _DELIVER:
            return _deliver(channel, buffer, at, following, end, number)
        return _SLOW


def _idle(channel: aiormq.Channel) -> bool:
    """Open, and its reader task has taken every frame it was given (it waits for the next one)."""
    close_event = getattr(channel, _CLOSE_EVENT, None)
    return (
        not channel.is_closed
        and isinstance(close_event, asyncio.Event)
        and not close_event.is_set()
        and channel.frames.empty()
    )


def _confirm(channel: aiormq.Channel, buffer: bytes, at: int) -> bool:
    """A basic.ack on a confirming channel of a delivery tag it awaits: settled as aiormq's
    `_on_confirm_frame` settles it (a multiple one: every tag up to it, each in a callback of its own)."""
    delivery_tag, bits = _TAG_AND_BITS.unpack_from(buffer, at + _METHOD_INDEX.size)
    if bits > 1 or not channel.publisher_confirms or delivery_tag not in channel.confirmations:
        return False
    frame = spec.Basic.Ack(delivery_tag=delivery_tag, multiple=bool(bits))
    if not bits:
        channel._confirm_delivery(delivery_tag, frame)
        return True
    for confirmed in channel.confirmations.keys():
        if delivery_tag >= confirmed:
            channel.loop.call_soon(channel._confirm_delivery, confirmed, frame)
    return True


def _deliver(channel: aiormq.Channel, buffer: bytes, at: int, following: int, end: int, number: int) -> int:
    """A basic.deliver at `at` (its method index) with its content header and one body frame: the
    consumer's task started as aiormq's `_on_deliver_frame` starts it."""
    header_at = following
    if end - header_at < _HEAD:
        return _WAIT
    kind, header_number, header_size = _FRAME_HEADER.unpack_from(buffer, header_at)
    if kind != constants.FRAME_HEADER or header_number != number or header_size < _BODY_SIZE.size:
        return _SLOW
    body_at = header_at + _HEAD + header_size + 1
    if body_at > end:
        return _WAIT
    body_size = _BODY_SIZE.unpack_from(buffer, header_at + _HEAD)[2]
    if not body_size or buffer[body_at - 1] != constants.FRAME_END:
        return _SLOW
    if end - body_at < _HEAD:
        return _WAIT
    kind, body_number, body_length = _FRAME_HEADER.unpack_from(buffer, body_at)
    if kind != constants.FRAME_BODY or body_number != number or body_length != body_size:
        return _SLOW
    after: int = body_at + _HEAD + body_length + 1
    if after > end:
        return _WAIT
    if buffer[after - 1] != constants.FRAME_END:
        return _SLOW
    try:
        deliver = decode_deliver(buffer, at + _METHOD_INDEX.size, following - 1)
        header = decode_content_header(buffer[header_at + _HEAD : body_at - 1])
    except (ValueError, IndexError, struct.error):
        return _SLOW
    consumer = channel.consumers.get(deliver.consumer_tag) if deliver.consumer_tag else None
    if consumer is None:
        return _SLOW
    message = DeliveredMessage(
        delivery=deliver, header=header, body=buffer[body_at + _HEAD : after - 1], channel=channel
    )
    task: Any = channel.create_task(consumer(message))
    task.add_done_callback(channel._on_consumer_done)
    return after


def decode_deliver(buffer: bytes, at: int, stop: int) -> spec.Basic.Deliver:
    """basic.deliver's arguments from `at` to `stop`, as pamqp decodes them (ValueError or IndexError if
    they do not fill that span exactly)."""
    length = buffer[at]
    at += 1
    consumer_tag = buffer[at : at + length].decode("utf-8")
    at += length
    delivery_tag, bits = _TAG_AND_BITS.unpack_from(buffer, at)
    at += _TAG_AND_BITS.size
    length = buffer[at]
    at += 1
    exchange = buffer[at : at + length].decode("utf-8")
    at += length
    length = buffer[at]
    at += 1
    routing_key = buffer[at : at + length].decode("utf-8")
    if at + length != stop:
        raise ValueError("basic.deliver's arguments do not fill its frame")
    deliver = spec.Basic.Deliver.__new__(spec.Basic.Deliver)
    deliver.consumer_tag = consumer_tag
    deliver.delivery_tag = delivery_tag
    deliver.redelivered = bool(bits & 1)
    deliver.exchange = exchange
    deliver.routing_key = routing_key
    return deliver


class InboundProtocol(asyncio.StreamReaderProtocol):
    """asyncio's protocol for aiormq's stream, its reads routed through `frames`."""

    def __init__(self, reader: FrameStreamReader, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(reader, loop=loop)
        self.frames = InboundFrames(reader)

    def data_received(self, data: bytes) -> None:
        self.frames.feed(data)

    def eof_received(self) -> bool | None:
        self.frames.flush()
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.frames.flush()
        super().connection_lost(exc)
