"""RabbitMQ consumers: deliveries settled by their handler, and subscriptions on a channel of their own."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiormq
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aiormq.abc import DeliveredMessage

from bus.errors import BusUnavailable, Overloaded
from bus.transport.amqp_frames import ack as ack_frame
from bus.transport.amqp_raw_consumer import RawConsumer
from bus.transport.amqp_wire import CHANNEL_GONE, delivery_count, from_amqp
from bus.transport.base import Handler, Message
from bus.transport.unconfirmed import PublishInDoubt

log = logging.getLogger(__name__)
# How long stopping a consumer waits for the broker's answer to its basic.cancel and channel.close: a
# broker that no longer answers (stalled, or gone without the socket saying so) would otherwise hold a
# worker's or engine's stop forever. Past it the channel is left to its connection's close, which
# requeues what it held unacked all the same.
BROKER_ANSWER_SECONDS = 5.0


class AmqpDelivery:
    """A message received from RabbitMQ, unacked until the handler settles it."""

    def __init__(
        self, message: Message, delivery_count: int, delivery_tag: int, channel: aiormq.abc.AbstractChannel
    ) -> None:
        self._message = message
        self._delivery_count = delivery_count
        self._delivery_tag = delivery_tag
        self._channel = channel
        self._settled = False

    @classmethod
    def delivered(cls, delivered: DeliveredMessage) -> AmqpDelivery:
        """A delivery as aiormq hands it over (basic.deliver)."""
        properties = delivered.header.properties
        return cls(
            from_amqp(delivered.body, properties),
            delivery_count(properties.headers),
            delivered.delivery_tag or 0,
            delivered.channel,
        )

    @classmethod
    def got(cls, incoming: AbstractIncomingMessage) -> AmqpDelivery:
        """A message taken with basic.get through aio-pika."""
        return cls(
            from_amqp(incoming.body, incoming),
            delivery_count(incoming.headers),
            incoming.delivery_tag or 0,
            incoming.channel,
        )

    @property
    def message(self) -> Message:
        """The message delivered."""
        return self._message

    @property
    def delivery_count(self) -> int:
        """1 on first delivery, 2 on the first redelivery, and so on (from x-delivery-count)."""
        return self._delivery_count

    @property
    def settled(self) -> bool:
        """True once acked or nacked."""
        return self._settled

    async def ack(self) -> None:
        """The work is done: remove the message for good."""
        self._settle()
        try:
            # An ack has no answer: queue its frame without waiting for the socket to drain.
            await ack_frame(self._channel, self._delivery_tag)
            log.debug("trace acked %s", self._message.message_id)
        except CHANNEL_GONE as error:
            log.warning("ack of %s lost (%s); the broker will redeliver it", self._message.message_id, error)

    async def nack(self, requeue: bool = True) -> None:
        """Redeliver the message (counting towards the limit), or dead-letter it at once."""
        await self._nack(requeue, logging.WARNING)

    async def requeue_after_loss(self) -> None:
        """Give the message back after its handler was cut short by a connection loss, already reported:
        the nack is most likely lost with the channel (said at DEBUG), and the broker redelivers it anyway."""
        await self._nack(True, logging.DEBUG)

    async def _nack(self, requeue: bool, lost_level: int) -> None:
        self._settle()
        try:
            await self._channel.basic_nack(self._delivery_tag, requeue=requeue)
        except CHANNEL_GONE as error:
            message_id = self._message.message_id
            log.log(lost_level, "nack of %s lost (%s); the broker will redeliver it", message_id, error)

    def _settle(self) -> None:
        if self._settled:
            raise RuntimeError(f"delivery of {self._message.message_id} was already acked or nacked")
        self._settled = True


class AmqpSubscription:
    """A consumer on its own channel; cancelling it closes the channel so unacked messages return."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, handler: Handler) -> None:
        self._channel = channel
        self._queue = queue
        self._handler = handler
        self._consumer: RawConsumer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelled = False

    async def start(self) -> None:
        """Begin consuming with manual acks."""
        consumer = RawConsumer(self._channel, self._queue.name, self._on_message, no_ack=False)
        await consumer.start()
        self._consumer = consumer

    async def _on_message(self, delivered: DeliveredMessage) -> None:
        # The handler runs in a task of its own, not in aiormq's task for the delivery: aiormq cancels
        # those when the channel is lost, and the work must not stop there (cut after the provider acted
        # and before the worker recorded it, the redelivery would call the provider again). Its ack is
        # then lost and the broker's redelivery is answered from the record. Only `cancel` stops it.
        work = asyncio.ensure_future(self._work(AmqpDelivery.delivered(delivered)))
        self._tasks.add(work)
        work.add_done_callback(self._tasks.discard)

    async def _work(self, delivery: AmqpDelivery) -> None:
        try:
            await self._handler(delivery)
        except (*CHANNEL_GONE, BusUnavailable, PublishInDoubt) as lost:
            # The broker went away under the handler (an outage, not a bug): one line, no traceback. A
            # publish of its own (a retry, a dead letter) cut twice is in doubt; the redelivery's copy of
            # it is absorbed by the record and the idempotency keys, as after any cut.
            log.warning(
                "handler on %s interrupted by the broker connection (%s); it is redelivered",
                delivery.message.message_id,
                type(lost).__name__,
            )
            if not delivery.settled:
                await delivery.requeue_after_loss()
            return
        except Overloaded as full:
            # A bounded queue (a retry queue, say) is full: back-pressure to wait out, not a bug.
            log.warning("handler on %s deferred (%s); it is redelivered", delivery.message.message_id, full)
            if not delivery.settled:
                await delivery.nack(requeue=True)
            return
        except Exception:
            log.exception("handler failed on %s; requeueing", delivery.message.message_id)
            if not delivery.settled:
                await delivery.nack(requeue=True)
            return
        if not delivery.settled:
            log.debug("handler left %s unacked; it holds a prefetch slot", delivery.message.message_id)

    async def drain(self, timeout: float) -> None:
        """Stop new deliveries (basic.cancel), give running handlers `timeout` seconds to settle on the
        still-open channel, then cancel the rest, which the channel's close requeues."""
        if self._cancelled:
            return
        await self._stop_deliveries()
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        if running:
            await asyncio.wait(running, timeout=timeout)
        await self.cancel()

    async def _stop_deliveries(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                async with asyncio.timeout(BROKER_ANSWER_SECONDS):
                    await consumer.stop()
            except CHANNEL_GONE as error:
                log.info("cancelling consumer on %s: %s", self._queue.name, error)
            except TimeoutError:
                log.warning("cancelling consumer on %s: no answer from the broker", self._queue.name)

    async def cancel(self) -> None:
        """Stop consuming, stop running handlers, and close the channel so unacked messages requeue."""
        if self._cancelled:
            return
        self._cancelled = True
        await self._stop_deliveries()
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        try:
            async with asyncio.timeout(BROKER_ANSWER_SECONDS):
                await self._channel.close()
        except CHANNEL_GONE as error:
            log.info("closing consumer channel of %s: %s", self._queue.name, error)
        except TimeoutError:
            log.warning("closing consumer channel of %s: no answer from the broker", self._queue.name)
