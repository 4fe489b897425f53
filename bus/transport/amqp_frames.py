"""A publish or an ack queued on an aiormq channel in one synchronous step, its frames marshalled here.

aiormq's `basic_publish` builds pamqp objects for the method, content header and body frames, marshals
them through a `BytesIO`, and enters a timeout, a channel-close guard and the channel's lock around an
awaited put on the connection's write queue, for every message; `basic_ack` marshals a pamqp frame the
same way. `publish` does that work with the method frame marshalled once per routing key and no awaits
between taking the delivery tag and queueing the frames, so it needs no lock: the same bytes (tested),
the same confirm and mandatory-return bookkeeping (`confirmations`, `message_id_delivery_tag`), and
aiormq's own `basic_publish` whenever that step cannot be taken as it is (channel closing, lock held,
write queue full, body not one frame). `ack` packs its one frame with `struct`, likewise.
"""

from __future__ import annotations

import asyncio
import struct
from functools import lru_cache
from typing import Any

import aiormq
import pamqp.frame
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp import constants

_FRAME_HEADER = struct.Struct(">BHI")
_CONTENT_HEADER_HEAD = struct.Struct(">HxxQ")
_FRAME_END = bytes((constants.FRAME_END,))
# A basic.ack method frame: frame header, method index, delivery tag, flags (multiple off), frame end.
_ACK_FRAME = struct.Struct(">BHIIQB1s")
_ACK_SIZE = _ACK_FRAME.size - _FRAME_HEADER.size - 1


@lru_cache(maxsize=1024)
def _method_frame(channel_number: int, routing_key: str, mandatory: bool) -> bytes:
    """basic.publish on the default exchange, marshalled (its bytes never change for one routing key)."""
    publish = spec.Basic.Publish(exchange="", routing_key=routing_key, mandatory=mandatory)
    return pamqp.frame.marshal(publish, channel_number)


def publish_payload(
    channel_number: int, body: bytes, routing_key: str, properties: spec.Basic.Properties, mandatory: bool
) -> bytes:
    """The method, content header and (single) body frame of a publish to the default exchange."""
    header = _CONTENT_HEADER_HEAD.pack(spec.Basic.frame_id, len(body)) + properties.marshal()
    return b"".join(
        (
            _method_frame(channel_number, routing_key, mandatory),
            _FRAME_HEADER.pack(constants.FRAME_HEADER, channel_number, len(header)),
            header,
            _FRAME_END,
            _FRAME_HEADER.pack(constants.FRAME_BODY, channel_number, len(body)),
            body,
            _FRAME_END,
        )
    )


def _locked(channel: aiormq.Channel) -> bool:
    """Whether a publish or RPC of aiormq's holds the channel's lock (`Channel.lock` only enters it)."""
    lock = getattr(channel, "_Channel__lock", None)
    return not isinstance(lock, asyncio.Lock) or lock.locked()


def _queueable(channel: aiormq.Channel, body: bytes) -> bool:
    return (
        not channel.is_closed
        and not _locked(channel)
        and not channel.write_queue.full()
        and 0 < len(body) < channel.max_content_size
    )


async def publish(
    channel: aiormq.Channel,
    body: bytes,
    *,
    routing_key: str,
    properties: spec.Basic.Properties,
    mandatory: bool = False,
) -> Any:
    """`channel.basic_publish(body, routing_key=…, properties=…, mandatory=…, wait=False)` on the default
    exchange: returns the broker's confirm when the channel has confirms (raising its nack or return as
    aiormq does), None without them."""
    message_id = properties.message_id
    if not message_id or not _queueable(channel, body):
        return await channel.basic_publish(
            body, routing_key=routing_key, properties=properties, mandatory=mandatory, wait=False
        )
    payload = publish_payload(channel.number, body, routing_key, properties, mandatory)
    confirmation = _expect_confirm(channel, message_id) if channel.publisher_confirms else None
    channel.write_queue.put_nowait(ChannelFrame(payload=payload, should_close=False))
    if confirmation is None:
        return None
    return await confirmation


def _expect_confirm(channel: aiormq.Channel, message_id: str) -> asyncio.Future[Any]:
    """Take the next delivery tag and register its confirm, as aiormq's basic_publish does."""
    channel.delivery_tag += 1
    delivery_tag = channel.delivery_tag
    confirmation = channel.create_future()
    channel.confirmations[delivery_tag] = confirmation
    channel.message_id_delivery_tag[message_id] = delivery_tag

    def forget_message_id(_: asyncio.Future[Any]) -> None:
        if channel.message_id_delivery_tag.get(message_id) == delivery_tag:
            channel.message_id_delivery_tag.pop(message_id)

    confirmation.add_done_callback(forget_message_id)
    return confirmation


async def ack(channel: aiormq.abc.AbstractChannel, delivery_tag: int) -> None:
    """`channel.basic_ack(delivery_tag, wait=False)`: one delivery acked, the frame queued, not drained."""
    close_event = getattr(channel, "_Channel__close_event", None)
    if (
        not isinstance(channel, aiormq.Channel)
        or channel.is_closed
        or not isinstance(close_event, asyncio.Event)
        or close_event.is_set()
        or channel.write_queue.full()
    ):
        await channel.basic_ack(delivery_tag, wait=False)
        return
    payload = _ACK_FRAME.pack(
        constants.FRAME_METHOD, channel.number, _ACK_SIZE, spec.Basic.Ack.index, delivery_tag, 0, _FRAME_END
    )
    channel.write_queue.put_nowait(ChannelFrame(payload=payload, should_close=False))
