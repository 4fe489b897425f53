"""A consumer registered straight on the aiormq channel under a robust aio-pika channel.

aio-pika wraps every delivery in an `IncomingMessage` and runs its callback in a task of its own, on top
of the task aiormq starts per delivery; `loadtests/bench/transport_cpu.py` measured that at 13 % of the
transport's CPU per request/reply. A RawConsumer hands aiormq's `DeliveredMessage` to its callback as
it came. The robust channel restores its queues after a reconnect, not these consumers: a RawConsumer
consumes again, under the same tag, each time the channel reopens (after the queues are declared again),
and at once when the broker cancels it (its queue deleted: the failed consume closes the channel, whose
restoration declares the queue again and reopens, and so consumes again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, cast

import aiormq
from aio_pika.abc import AbstractChannel, AbstractRobustChannel
from aiormq.abc import DeliveredMessage

from bus.envelope import new_id
from bus.transport.amqp_wire import CHANNEL_GONE

log = logging.getLogger(__name__)

RawCallback = Callable[[DeliveredMessage], Coroutine[Any, Any, None]]


class RawConsumer:
    """Consumes `queue` on `channel`'s current aiormq channel, with `callback` per delivery."""

    def __init__(self, channel: AbstractChannel, queue: str, callback: RawCallback, *, no_ack: bool) -> None:
        self._channel = channel
        self._queue = queue
        self._callback = callback
        self._no_ack = no_ack
        self.tag = f"lgsp.{new_id()}"
        self._stopped = False
        self._registering: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Begin consuming, and again on every reopening of the channel until `stop`."""
        await self._register()  # first: a consumer that never started is never restored either
        if isinstance(self._channel, AbstractRobustChannel):
            self._channel.reopen_callbacks.add(self._reopened, weak=False)

    async def stop(self) -> None:
        """No more deliveries: basic.cancel, and no consuming again when the channel reopens."""
        self._stopped = True
        if isinstance(self._channel, AbstractRobustChannel):
            self._channel.reopen_callbacks.discard(self._reopened)
        for registering in list(self._registering):
            registering.cancel()
        underlay = cast(aiormq.Channel, await self._channel.get_underlay_channel())
        if self.tag in underlay.consumers:
            await underlay.basic_cancel(self.tag)

    async def _register(self) -> None:
        underlay = cast(aiormq.Channel, await self._channel.get_underlay_channel())
        if self.tag in underlay.consumers:
            return
        underlay.on_consumer_cancel_callbacks.add(self._cancelled_by_broker)
        await underlay.basic_consume(self._queue, self._callback, no_ack=self._no_ack, consumer_tag=self.tag)

    async def _reopened(self, *_: Any) -> None:
        if self._stopped:
            return
        try:
            await self._register()
        except CHANNEL_GONE as error:
            # The channel went again (or the queue is missing, which closes it): its next reopening,
            # after the robust channel declared its queues again, calls this again.
            log.warning("consuming %s again failed (%s); again when the channel reopens", self._queue, error)
        except Exception:
            log.exception("consuming %s again failed; again when the channel reopens", self._queue)

    def _cancelled_by_broker(self, frame: aiormq.spec.Basic.Cancel) -> None:
        if frame.consumer_tag != self.tag or self._stopped:
            return
        log.warning("the broker cancelled the consumer of %s; consuming it again", self._queue)
        registering = asyncio.ensure_future(self._reopened())
        self._registering.add(registering)
        registering.add_done_callback(self._registering.discard)
