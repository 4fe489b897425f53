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
    for tag in (3, 1, 4, 2):
        batch.ack(tag)
    await batch.flush()
    assert channel.frames == [("ack", 4, True)]


async def test_a_single_ack_is_not_multiple() -> None:
    batch, channel = batch_of(range(1, 3))
    batch.ack(2)
    await batch.flush()
    assert channel.frames == [("ack", 2, False)]


async def test_acks_above_a_held_delivery_go_one_by_one() -> None:
    batch, channel = batch_of(range(1, 7))
    for tag in (1, 2, 4, 6):  # 3 and 5 are still worked on
        batch.ack(tag)
    await batch.flush()
    assert channel.frames == [("ack", 2, True), ("ack", 4, False), ("ack", 6, False)]
    batch.ack(3)
    batch.ack(5)
    await batch.flush()
    assert channel.frames[3:] == [("ack", 5, True)]


async def test_no_multiple_ack_covers_a_nack_before_it_is_sent() -> None:
    batch, channel = batch_of(range(1, 4))
    nacking = asyncio.ensure_future(batch.nack(1, requeue=True))
    await asyncio.sleep(0)  # the nack's frame is on its way
    batch.ack(2)
    batch.ack(3)
    await asyncio.gather(nacking, batch.flush())
    assert channel.frames[0] == ("nack", 1, True)
    assert channel.frames[1:] == [("ack", 3, True)]


async def test_an_ack_returns_at_once_and_the_turns_acks_leave_after_it() -> None:
    batch, channel = batch_of(range(1, 4))
    batch.ack(1)
    batch.ack(2)
    assert channel.frames == []  # nothing sent in the turn the handlers ack in
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert channel.frames == [("ack", 2, True)]
    batch.ack(3)  # a later turn: a batch of its own
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert channel.frames == [("ack", 2, True), ("ack", 3, False)]
