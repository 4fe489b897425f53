"""The RabbitMQ transport (aio-pika): durable quorum queues, publisher confirms, a dead-letter exchange.

Topology per service queue `q`: a quorum queue `q` whose rejected or exhausted messages go through the
direct exchange `lgsp.dlx` (routing key `q`) to the quorum queue `q.dlq`. Requests are answered on one
exclusive, auto-delete reply queue per transport instance, matched to callers by correlation id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from bus.envelope import new_id
from bus.errors import BusTimeout, InternalError, NoRoute
from bus.transport.base import Handler, HeaderValue, Message, dead_letter_queue
from bus.transport.memory import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_DELIVERY_LIMIT,
    REASON_REJECTED,
)

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "lgsp.dlx"
# Headers RabbitMQ adds that the contract expresses otherwise (delivery_count, x-death-reason).
_BROKER_HEADERS = {"x-delivery-count", "x-death"}
_BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
_DEATH_REASONS = {"delivery_limit": REASON_DELIVERY_LIMIT, "rejected": REASON_REJECTED}
# A channel or connection that died under us: the broker requeues what we held, so this is not fatal.
_CHANNEL_GONE = (aiormq.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError)


def queue_arguments(queue: str, delivery_limit: int) -> dict[str, Any]:
    """Declaration arguments of a service queue (quorum, delivery limit, dead-lettering)."""
    return {
        "x-queue-type": "quorum",
        # RabbitMQ dead-letters once the returns exceed x-delivery-limit; the contract counts
        # deliveries, so `delivery_limit` deliveries means delivery_limit - 1 returns.
        "x-delivery-limit": delivery_limit - 1,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
    }


def to_amqp(message: Message) -> aio_pika.Message:
    """The aio-pika message carrying `message` (body bytes untouched, persistent)."""
    return aio_pika.Message(
        body=message.body,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        headers=dict(message.headers),
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def from_amqp(incoming: AbstractIncomingMessage) -> Message:
    """The contract's `Message` for a received AMQP message, broker death headers translated."""
    return Message(
        body=incoming.body,
        message_id=incoming.message_id or new_id(),
        correlation_id=incoming.correlation_id or new_id(),
        reply_to=incoming.reply_to,
        headers=_contract_headers(incoming.headers),
        content_type=incoming.content_type or "application/json",
    )


def _contract_headers(raw: Mapping[str, Any]) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    for key, value in raw.items():
        if key in _BROKER_HEADERS or key.startswith(_BROKER_HEADER_PREFIXES):
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str | int | float | bool):
            headers[key] = value
    reason = raw.get("x-first-death-reason")
    if isinstance(reason, bytes | str):
        reason = reason.decode() if isinstance(reason, bytes) else reason
        headers[DEATH_REASON_HEADER] = _DEATH_REASONS.get(reason, reason)
    queue = raw.get("x-first-death-queue")
    if isinstance(queue, bytes | str):
        headers[ORIGINAL_QUEUE_HEADER] = queue.decode() if isinstance(queue, bytes) else queue
    return headers


def _delivery_count(incoming: AbstractIncomingMessage) -> int:
    returns = incoming.headers.get("x-delivery-count")
    return returns + 1 if isinstance(returns, int) else 1


class AmqpDelivery:
    """A message received from RabbitMQ, unacked until the handler settles it."""

    def __init__(self, incoming: AbstractIncomingMessage) -> None:
        self._incoming = incoming
        self._message = from_amqp(incoming)
        self._delivery_count = _delivery_count(incoming)
        self._settled = False

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
            await self._incoming.ack()
        except _CHANNEL_GONE as error:
            log.warning("ack of %s lost (%s); the broker will redeliver it", self._message.message_id, error)

    async def nack(self, requeue: bool = True) -> None:
        """Redeliver the message (counting towards the limit), or dead-letter it at once."""
        self._settle()
        try:
            await self._incoming.nack(requeue=requeue)
        except _CHANNEL_GONE as error:
            log.warning("nack of %s lost (%s); the broker will redeliver it", self._message.message_id, error)

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
        self._tag: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelled = False

    async def start(self) -> None:
        """Begin consuming with manual acks."""
        self._tag = await self._queue.consume(self._on_message, no_ack=False)

    async def _on_message(self, incoming: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        assert task is not None  # aio-pika runs each consumer callback in a task of its own
        self._tasks.add(task)
        delivery = AmqpDelivery(incoming)
        try:
            await self._handler(delivery)
        except Exception:
            log.exception("handler failed on %s; requeueing", delivery.message.message_id)
            if not delivery.settled:
                await delivery.nack(requeue=True)
            return
        finally:
            self._tasks.discard(task)
        if not delivery.settled:
            log.debug("handler left %s unacked; it holds a prefetch slot", delivery.message.message_id)

    async def cancel(self) -> None:
        """Stop consuming, stop running handlers, and close the channel so unacked messages requeue."""
        if self._cancelled:
            return
        self._cancelled = True
        if self._tag is not None:
            try:
                await self._queue.cancel(self._tag)
            except _CHANNEL_GONE as error:
                log.info("cancelling consumer on %s: %s", self._queue.name, error)
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        try:
            await self._channel.close()
        except _CHANNEL_GONE as error:
            log.info("closing consumer channel of %s: %s", self._queue.name, error)


class AmqpTransport:
    """The RabbitMQ transport: same contract as MemoryTransport, on a robust aio-pika connection."""

    def __init__(
        self,
        url: str,
        *,
        delivery_limit: int = 5,
        connection_name: str = "lgsp",
        reconnect_interval: float = 2.0,
        reconnect_grace: float = 5.0,
    ) -> None:
        if delivery_limit < 1:
            raise ValueError(f"delivery_limit must be at least 1, got {delivery_limit}")
        self.url = url
        self.delivery_limit = delivery_limit
        self.connection_name = connection_name
        self.reconnect_interval = reconnect_interval
        self.reconnect_grace = reconnect_grace
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._reply_queue_name: str | None = None
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._subscriptions: list[AmqpSubscription] = []

    @property
    def connection(self) -> AbstractRobustConnection:
        """The underlying robust connection (for diagnostics and fault-injection tests)."""
        if self._connection is None:
            raise InternalError("amqp transport is not connected")
        return self._connection

    async def connect(self) -> None:
        """Connect, declare the dead-letter exchange and start the reply consumer; idempotent."""
        if self._connection is not None:
            return
        connection = await aio_pika.connect_robust(
            self.url,
            client_properties={"connection_name": self.connection_name},
            reconnect_interval=self.reconnect_interval,
        )
        try:
            publish_channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            await publish_channel.declare_exchange(
                DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
            )
            # A named exclusive queue rather than direct reply-to: connect_robust re-declares it and
            # restores its consumer after a reconnect, and it does not tie replies to the publish channel.
            reply_queue_name = f"lgsp.reply.{new_id()}"
            reply_channel = await connection.channel(publisher_confirms=False)
            reply_queue = await reply_channel.declare_queue(
                reply_queue_name, exclusive=True, auto_delete=True
            )
            await reply_queue.consume(self._on_reply, no_ack=True)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self._publish_channel = publish_channel
        self._reply_queue_name = reply_queue_name

    async def close(self) -> None:
        """Stop consumers (their unacked messages are requeued), fail pending requests, disconnect."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.cancel()
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(InternalError("transport closed while waiting for a reply"))
        connection, self._connection = self._connection, None
        self._publish_channel = None
        self._reply_queue_name = None
        if connection is not None:
            await connection.close()

    async def publish(self, queue: str, message: Message) -> None:
        """Publish to `queue` through the default exchange, mandatory and confirmed.

        A publish cut by a connection loss is retried once after connect_robust restores the channel:
        at-least-once, so a duplicate is possible (idempotency keys absorb it), a silent loss is not."""
        outgoing = to_amqp(message)
        for attempt in (1, 2):
            channel = await self._ready_publish_channel()
            try:
                await channel.default_exchange.publish(outgoing, routing_key=queue, mandatory=True)
                return
            except aiormq.exceptions.PublishError:
                raise NoRoute(f"no queue named {queue!r}") from None
            except aiormq.exceptions.DeliveryError as error:
                raise InternalError(f"broker refused the message for {queue!r}: {error}") from None
            except _CHANNEL_GONE as error:
                if attempt == 2:
                    raise InternalError(f"broker connection unavailable: {error}") from None
                log.warning("publish to %s interrupted (%s); retrying after reconnect", queue, error)

    async def _ready_publish_channel(self) -> AbstractChannel:
        channel = self._publish_channel
        if channel is None:
            raise InternalError("amqp transport is not connected")
        if channel.is_closed and isinstance(channel, AbstractRobustChannel):
            # connect_robust is restoring the connection: a short blip should not fail the publish.
            try:
                await asyncio.wait_for(channel.ready(), self.reconnect_grace)
            except TimeoutError:
                raise InternalError("broker connection unavailable") from None
        return channel

    async def request(
        self,
        queue: str,
        message: Message,
        timeout: float,
    ) -> Message:
        """Publish with this transport's reply queue and wait for the reply with the same correlation id."""
        if self._reply_queue_name is None:
            raise InternalError("amqp transport is not connected")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        correlation_id = message.correlation_id
        if correlation_id in self._pending:
            raise ValueError(f"a request with correlation id {correlation_id!r} is already waiting")
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self.publish(queue, replace(message, reply_to=self._reply_queue_name))
                return await future
        except TimeoutError:
            raise BusTimeout(f"no reply from {queue!r} within {timeout:g} s") from None
        finally:
            self._pending.pop(correlation_id, None)

    async def consume(self, queue: str, handler: Handler, *, prefetch: int = 16) -> AmqpSubscription:
        """Declare `queue` (and its dead-letter queue) on a new channel and consume it with manual acks."""
        if not queue:
            raise ValueError("queue name must not be empty")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        channel = await self.connection.channel(publisher_confirms=False)
        try:
            await channel.set_qos(prefetch_count=prefetch)
            declared = await self._declare(channel, queue)
            subscription = AmqpSubscription(channel, declared, handler)
            await subscription.start()
        except BaseException:
            await channel.close()
            raise
        self._subscriptions.append(subscription)
        return subscription

    async def _declare(self, channel: AbstractChannel, queue: str) -> AbstractQueue:
        suffix = dead_letter_queue("")
        service_queue = queue.removesuffix(suffix) if queue.endswith(suffix) else queue
        dlq = await channel.declare_queue(
            dead_letter_queue(service_queue), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(DEAD_LETTER_EXCHANGE, routing_key=service_queue)
        if queue != service_queue:
            return dlq
        return await channel.declare_queue(
            queue, durable=True, arguments=queue_arguments(queue, self.delivery_limit)
        )

    async def _on_reply(self, incoming: AbstractIncomingMessage) -> None:
        future = self._pending.get(incoming.correlation_id or "")
        if future is None or future.done():
            log.debug("dropping reply %s: nobody waits for it (late or unknown)", incoming.correlation_id)
            return
        future.set_result(from_amqp(incoming))
