"""Acks of one loop turn go out together: one multiple ack below the lowest delivery still held, single
acks above it, and never a multiple ack over a delivery that is nacked or still being worked on."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiormq

from bus.transport.amqp_consumer import AckBatch


class RecordingChannel:
    """The frames a batch sends, in order."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, int, bool]] = []

    async def basic_ack(self, tag: int, multiple: bool = False, wait: bool = True) -> None:
        self.frames.append(("ack", tag, multiple))

    async def basic_nack(self, tag: int, requeue: bool = True, **_: Any) -> None:
        await asyncio.sleep(0)  # a nack waits for its write: a batch must not overtake it meanwhile
        self.frames.append(("nack", tag, requeue))


def batch_of(tags: range) -> tuple[AckBatch, RecordingChannel]:
    channel = RecordingChannel()
    batch = AckBatch(cast(aiormq.abc.AbstractChannel, channel))
    for tag in tags:
        batch.delivered(tag)
    return batch, channel


async def test_acks_of_one_turn_leave_as_one_multiple_ack() -> None:
    batch, channel = batch_of(range(1, 5))
    await asyncio.gather(*(batch.ack(tag) for tag in (3, 1, 4, 2)))
    assert channel.frames == [("ack", 4, True)]


async def test_a_single_ack_is_not_multiple() -> None:
    batch, channel = batch_of(range(1, 3))
    await batch.ack(2)
    assert channel.frames == [("ack", 2, False)]


async def test_acks_above_a_held_delivery_go_one_by_one() -> None:
    batch, channel = batch_of(range(1, 7))
    await asyncio.gather(*(batch.ack(tag) for tag in (1, 2, 4, 6)))  # 3 and 5 are still worked on
    assert channel.frames == [("ack", 2, True), ("ack", 4, False), ("ack", 6, False)]
    await asyncio.gather(batch.ack(3), batch.ack(5))
    assert channel.frames[3:] == [("ack", 5, True)]


async def test_no_multiple_ack_covers_a_nack_before_it_is_sent() -> None:
    batch, channel = batch_of(range(1, 4))
    await asyncio.gather(batch.nack(1, requeue=True), batch.ack(2), batch.ack(3))
    assert channel.frames[0] == ("nack", 1, True)
    assert channel.frames[1:] == [("ack", 3, True)]


async def test_flush_sends_what_a_cancelled_first_ack_left() -> None:
    batch, channel = batch_of(range(1, 3))
    first = asyncio.ensure_future(batch.ack(1))
    await asyncio.sleep(0)  # the first ack now waits out the turn
    await batch.ack(2)  # joins it and returns
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert channel.frames == []
    await batch.flush()
    assert channel.frames == [("ack", 2, True)]
