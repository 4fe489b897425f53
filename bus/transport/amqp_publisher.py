"""The RabbitMQ transport's channels waited for while the robust connection restores them
(`restored_underlay`, for publishes and answers alike), and its confirmed publish channel, replaced when
the broker nacks a publish on it.

Why replace it: on RabbitMQ 3.10, a channel opened on a surviving node at the moment a quorum queue's
leader died can go on nacking every publish to that queue although the queue elected a new leader (the
failover benchmark saw a restored publish channel nacked for 20 s while fresh channels on the same
connection were accepted). So a nack replaces the channel, at most once per `cooldown` seconds, and the
nacked publish is sent once more on the new channel; a nack there is the queue's real refusal (its
length bound). The replaced channel is closed `retire_after` seconds later, once what was in flight on
it is settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from bus.errors import BusUnavailable, InternalError
from bus.transport.amqp_wire import CHANNEL_GONE

log = logging.getLogger(__name__)

# How often a publish waiting for its channel's restoration looks again.
RESTORE_POLL_SECONDS = 0.02


async def restored_underlay(
    channel: AbstractChannel, grace: float, cut_on: aiormq.abc.AbstractChannel | None = None
) -> aiormq.Channel:
    """The open AMQP channel under `channel`. While the robust connection restores it (a blip, or a
    failover to another node) wait up to `grace` s, so that a short loss does not fail the send; never
    `cut_on`, the channel a previous attempt was cut on: the failure can reach the send before the channel
    looks closed, and a retry on it would fail the same way. BusUnavailable when no channel is back in
    time."""
    if cut_on is None and not channel.is_closed:
        return cast(aiormq.Channel, await channel.get_underlay_channel())
    try:
        async with asyncio.timeout(grace):
            while True:
                with contextlib.suppress(*CHANNEL_GONE):
                    underlay = await channel.get_underlay_channel()
                    if underlay is not cut_on and not underlay.is_closed:
                        return cast(aiormq.Channel, underlay)
                await asyncio.sleep(RESTORE_POLL_SECONDS)
    except TimeoutError:
        raise BusUnavailable("broker connection unavailable") from None


class Publisher:
    """The publish channel of one connection (publisher confirms, mandatory returns raised)."""

    def __init__(
        self, connection: AbstractRobustConnection, *, grace: float, cooldown: float, retire_after: float
    ) -> None:
        self._connection = connection
        self._grace = grace
        self._cooldown = cooldown
        self._retire_after = retire_after
        self._channel: AbstractChannel | None = None
        self._replaced_at = float("-inf")
        self._retiring: set[asyncio.Task[None]] = set()
        self._replacing = asyncio.Lock()  # nacks of one stale channel replace it once, in turn
        self.replacements = 0

    async def open(self) -> AbstractChannel:
        """Open the channel and return it."""
        self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        return self._channel

    async def close(self) -> None:
        """Close channels still retiring (the current one closes with its connection)."""
        for task in self._retiring:
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)

    async def underlay(self, cut_on: aiormq.abc.AbstractChannel | None = None) -> aiormq.Channel:
        """The open AMQP channel to publish on, waited for while it is restored (`restored_underlay`)."""
        if self._channel is None:
            raise InternalError("publish channel not opened")
        return await restored_underlay(self._channel, self._grace, cut_on)

    async def replace_after_nack(self, nacked_on: aiormq.abc.AbstractChannel) -> bool:
        """After a nack on `nacked_on`: whether the publish may be sent once more, on a newer channel
        (opened now, unless another nack opened one since or the last replacement is under `cooldown`
        seconds old). False, too, when the connection does not let it know within `grace` seconds."""
        try:
            async with asyncio.timeout(self._grace), self._replacing:
                return await self._replace(nacked_on)
        except TimeoutError:
            return False

    async def _replace(self, nacked_on: aiormq.abc.AbstractChannel) -> bool:
        channel = self._channel
        if channel is None:
            return False
        with contextlib.suppress(*CHANNEL_GONE):
            if await channel.get_underlay_channel() is not nacked_on:
                return True  # replaced since this publish was sent: the new channel may take it
        loop = asyncio.get_running_loop()
        if loop.time() - self._replaced_at < self._cooldown:
            return False
        self._replaced_at = loop.time()
        try:
            await self.open()
        except (*CHANNEL_GONE, RuntimeError) as error:  # RuntimeError: the connection is not open
            log.warning("could not open a new publish channel after a nack: %s", error)
            return False
        self.replacements += 1
        log.warning("publish nacked; publishing on a new channel from now on")
        retiring = asyncio.ensure_future(self._retire(channel))
        self._retiring.add(retiring)
        retiring.add_done_callback(self._retiring.discard)
        return True

    async def _retire(self, channel: AbstractChannel) -> None:
        await asyncio.sleep(self._retire_after)
        with contextlib.suppress(*CHANNEL_GONE):
            await channel.close()
