"""The RabbitMQ transport (aio-pika): durable quorum queues, publisher confirms, a dead-letter exchange.

Given a cluster's node URLs it fails over between them (amqp_failover); quorum queues are replicated on
the cluster's nodes, so they outlive the loss of one.

Topology per service queue `q`: a quorum queue `q` whose rejected or exhausted messages go (at least
once) through the direct exchange `lgsp.dlx` (routing key `q`) to the quorum queue `q.dlq`. Requests
are answered on one exclusive, auto-delete reply queue per transport instance, matched to callers by
correlation id. Consumers and their deliveries live in amqp_consumer.
Delayed publishes go to retry queues `q.retry.<ms>`, one per delay bucket, whose messages expire after
`<ms>` and are dead-lettered (at least once) back to `q` through the default exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractQueue,
    AbstractRobustConnection,
)
from aiormq.abc import DeliveredMessage

from bus.broker_urls import split_amqp_urls
from bus.envelope import new_id
from bus.errors import BusTimeout, BusUnavailable, DuplicateRequest, InternalError, NoRoute, Overloaded
from bus.reliability.backoff import delay_bucket_ms
from bus.transport.amqp_consumer import BROKER_ANSWER_SECONDS, AmqpDelivery, AmqpSubscription
from bus.transport.amqp_failover import connect_failover
from bus.transport.amqp_frames import publish as publish_frames
from bus.transport.amqp_logging import report_connection_losses, silence_library_loss_records
from bus.transport.amqp_publisher import Publisher, restored_underlay
from bus.transport.amqp_raw_consumer import RawConsumer
from bus.transport.amqp_wire import (
    CHANNEL_GONE,
    DEAD_LETTER_EXCHANGE,
    amqp_properties,
    from_amqp,
    queue_arguments,
    retry_queue_arguments,
    retry_queue_name,
)
from bus.transport.base import Handler, Message, dead_letter_queue
from bus.transport.unconfirmed import PublishInDoubt, PublishUnconfirmed, follow_unconfirmed

log = logging.getLogger(__name__)

CONSUME_ATTEMPTS = 5
# The connection went away under a call (robust connections come back on their own, on the next node).
CONNECTION_LOST = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    RuntimeError,
)


def _is_cut(error: BaseException) -> bool:
    """Whether `error` says the connection was lost. aiormq fails the RPCs in flight on a connection or
    channel closed without a reason (a cut while channels are being opened) with a bare `Exception`."""
    return isinstance(error, (*CONNECTION_LOST, OSError)) or type(error) is Exception


@contextlib.contextmanager
def _cut_is_unavailable(doing: str) -> Iterator[None]:
    """Turn a connection cut under the block into BusUnavailable (the caller may wait and retry)."""
    try:
        yield
    except Exception as error:
        if not _is_cut(error):
            raise
        cause = f"{type(error).__name__}: {error}"
        raise BusUnavailable(f"broker connection lost {doing} ({cause})"[:300]) from error


def _unreachable(cause: BaseException) -> BusUnavailable:
    """Refused, reset or cut while connecting: nothing is connected, the caller may wait and retry."""
    return BusUnavailable(f"broker unreachable ({type(cause).__name__}: {cause})"[:300])


class AmqpTransport:
    """The RabbitMQ transport: same contract as MemoryTransport, on a robust aio-pika connection that fails
    over between a cluster's nodes."""

    def __init__(
        self,
        url: str,
        *,
        delivery_limit: int = 5,
        connection_name: str = "lgsp",
        reconnect_interval: float = 2.0,
        reconnect_grace: float = 5.0,
        confirm_timeout: float = 15.0,
        connect_timeout: float = 10.0,
    ) -> None:
        """`url`: one broker URL, or a cluster's node URLs comma-separated (BrokerUrlError on a bad one)."""
        if delivery_limit < 1:
            raise ValueError(f"delivery_limit must be at least 1, got {delivery_limit}")
        if not confirm_timeout > 0:
            raise ValueError(f"confirm_timeout must be positive, got {confirm_timeout!r}")
        if not connect_timeout > 0:
            raise ValueError(f"connect_timeout must be positive, got {connect_timeout!r}")
        self.url = url
        self.urls = split_amqp_urls(url)
        self.delivery_limit = delivery_limit
        self.connection_name = connection_name
        self.reconnect_interval = reconnect_interval
        self.reconnect_grace = reconnect_grace
        self.confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout
        self._connection: AbstractRobustConnection | None = None
        self._publisher: Publisher | None = None
        # Answers to callers go out unconfirmed on a channel of their own (see reply()).
        self._answer_channel: AbstractChannel | None = None
        self._reply_queue_name: str | None = None
        self._pending: dict[str, asyncio.Future[Message]] = {}
        # Request publishes in flight: held here so that no deadline or garbage collection cuts them.
        self._publishing: set[asyncio.Future[None]] = set()
        self._subscriptions: list[AmqpSubscription] = []
        self._retry_queues: set[str] = set()
        # One channel holds what `get` took (unacked) until settled; closing it requeues the rest.
        self._get_channel: AbstractChannel | None = None

    @property
    def connection(self) -> AbstractRobustConnection:
        """The underlying robust connection (for diagnostics and fault-injection tests)."""
        if self._connection is None:
            raise InternalError("amqp transport is not connected")
        return self._connection

    async def connect(self) -> None:
        """Connect, declare the dead-letter exchange and start the reply consumer; idempotent.
        BusUnavailable when the broker cannot be reached."""
        if self._connection is not None:
            return
        # Before connecting: a cut during the set-up below is reported by the libraries too.
        silence_library_loss_records()
        try:
            connection = await connect_failover(
                self.urls,
                timeout=self.connect_timeout,
                client_properties={"connection_name": self.connection_name},
                reconnect_interval=self.reconnect_interval,
            )
        except (aiormq.exceptions.AMQPConnectionError, OSError) as unreachable:
            raise _unreachable(unreachable) from unreachable
        publisher = Publisher(
            connection,
            grace=self.reconnect_grace,
            cooldown=self.reconnect_interval,
            retire_after=self.confirm_timeout,
        )
        try:
            publish_channel = await publisher.open()
            answer_channel = await connection.channel(publisher_confirms=False)
            await publish_channel.declare_exchange(
                DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
            )
            # A named exclusive queue rather than direct reply-to: the robust channel re-declares it after a
            # reconnect (and the RawConsumer consumes it again), and it does not tie replies to the publish
            # channel.
            reply_queue_name = f"lgsp.reply.{new_id()}"
            reply_channel = await connection.channel(publisher_confirms=False)
            reply_queue = await reply_channel.declare_queue(
                reply_queue_name, exclusive=True, auto_delete=True
            )
            await RawConsumer(reply_channel, reply_queue.name, self._on_reply, no_ack=True).start()
        except BaseException as failure:
            await connection.close()
            if _is_cut(failure):
                raise _unreachable(failure) from failure
            raise
        report_connection_losses(connection, self.connection_name, self.reconnect_interval)
        self._connection = connection
        self._publisher = publisher
        self._answer_channel = answer_channel
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
                # Retrieved here: a late publish's follower may never come to wait for it (its publish
                # failed first), and asyncio would log the never-awaited failure as an ERROR.
                future.exception()
        connection, self._connection = self._connection, None
        self._answer_channel = None
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.close()
        self._reply_queue_name = None
        self._get_channel = None
        self._retry_queues.clear()
        if connection is not None:
            try:
                async with asyncio.timeout(BROKER_ANSWER_SECONDS):
                    await connection.close()
            except TimeoutError:
                log.warning("closing the broker connection: no answer from the broker; dropped")

    async def publish(self, queue: str, message: Message) -> None:
        """Publish to `queue` through the default exchange, mandatory and confirmed.

        A publish cut by a connection loss is retried once after the robust connection restores the channel:
        at-least-once, so a duplicate is possible (idempotency keys absorb it), a silent loss is not.
        A nacked one is sent once more on a new channel (see amqp_publisher). BusUnavailable when nothing
        could be sent; PublishInDoubt when a send was cut and the retry failed too (the broker may have
        the first)."""
        await self._publish(queue, message, amqp_properties(message))

    async def _publish(self, queue: str, message: Message, properties: aiormq.spec.Basic.Properties) -> None:
        """`publish` of `message` with these `properties` (a request's carry its reply queue)."""
        publisher = self._publisher
        if publisher is None:
            raise InternalError("amqp transport is not connected")
        cut_on: aiormq.abc.AbstractChannel | None = None  # a send was cut on it: the broker may have it
        for attempt in (1, 2):
            try:
                underlay = await publisher.underlay(cut_on)
            except BusUnavailable as unavailable:
                if cut_on is None:
                    raise  # nothing the broker may have was sent: a plain refusal
                raise PublishInDoubt(f"{unavailable.message} after a send the broker may have") from None
            try:
                # Straight to aiormq's channel, without an aio_pika.Message per publish, its frames queued
                # in one step (amqp_frames); the broker's confirm is still awaited for each.
                await publish_frames(
                    underlay, message.body, routing_key=queue, properties=properties, mandatory=True
                )
                return
            except aiormq.exceptions.PublishError:
                raise NoRoute(f"no queue named {queue!r}") from None
            except aiormq.exceptions.DeliveryError:
                # With confirms on, a nack without a return means the queue's reject-publish bound hit,
                # or a channel left stale by a node's loss (see amqp_publisher): a second nack, on a
                # newer channel, is the bound.
                if attempt == 1 and await publisher.replace_after_nack(underlay):
                    continue
                raise Overloaded(
                    f"queue {queue!r} refused the message (full, or it just lost its leader); try again later"
                ) from None
            except CHANNEL_GONE as error:
                if attempt == 2:
                    raise PublishInDoubt(f"broker connection lost while publishing again: {error}") from None
                log.warning("publish to %s interrupted (%s); retrying after reconnect", queue, error)
                cut_on = underlay

    async def reply(self, address: str, message: Message) -> None:
        """Publish an answer to a caller's reply queue without a publisher confirm and not mandatory.

        A confirm would say only that the answer reached a queue that is exclusive to the caller's
        connection and lost with it anyway; the outcome itself is already recorded by the worker. An
        answer to a queue that is gone is dropped by the broker. BusUnavailable when the connection is
        down (the worker's handler then requeues the message, and its redelivery is answered from
        the record)."""
        channel = self._answer_channel
        if channel is None:
            raise InternalError("amqp transport is not connected")
        try:
            underlay = await restored_underlay(channel, self.reconnect_grace)
            await publish_frames(
                underlay, message.body, routing_key=address, properties=amqp_properties(message)
            )
        except CHANNEL_GONE as error:
            raise BusUnavailable(f"broker connection lost while answering: {error}") from None

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        """Publish to the retry queue of `queue` for the smallest delay bucket of at least `delay` s."""
        if not delay >= 0:
            raise ValueError(f"delay must be a non-negative number of seconds, got {delay!r}")
        bucket = delay_bucket_ms(delay)
        name = retry_queue_name(queue, bucket)
        if name not in self._retry_queues:
            with _cut_is_unavailable(f"declaring {name!r}"):
                await self._declare_retry_queue(queue, bucket)
            self._retry_queues.add(name)
        await self.publish(name, message)

    async def _declare_retry_queue(self, queue: str, bucket_ms: int) -> None:
        # A fresh channel each time: a failed passive declare closes the channel it ran on.
        async with await self._new_channel() as channel:
            try:
                await channel.declare_queue(queue, passive=True)
            except aiormq.exceptions.ChannelNotFoundEntity:
                raise NoRoute(f"no queue named {queue!r}") from None
        async with await self._new_channel() as channel:
            await channel.declare_queue(
                retry_queue_name(queue, bucket_ms),
                durable=True,
                arguments=retry_queue_arguments(queue, bucket_ms),
            )

    async def _new_channel(self) -> AbstractChannel:
        """A channel without confirms; BusUnavailable while the connection is being restored."""
        with _cut_is_unavailable("opening a channel"):
            return await self.connection.channel(publisher_confirms=False)

    async def get(self, queue: str) -> AmqpDelivery | None:
        """basic.get without ack on a channel kept for it; None when `queue` is empty."""
        channel = self._get_channel
        if channel is None or channel.is_closed:
            channel = await self.connection.channel(publisher_confirms=False)
            self._get_channel = channel
        try:
            declared = await channel.get_queue(queue, ensure=True)
            incoming = await declared.get(no_ack=False, fail=False)
        except aiormq.exceptions.ChannelNotFoundEntity:
            self._get_channel = None  # the broker closed the channel along with the failed check
            raise NoRoute(f"no queue named {queue!r}") from None
        return AmqpDelivery.got(incoming) if incoming is not None else None

    async def request(
        self,
        queue: str,
        message: Message,
        timeout: float,
    ) -> Message:
        """Publish with this transport's reply queue and wait for the reply with the same correlation id.

        `timeout` bounds the wait for the reply, never the publish itself (see _accepted)."""
        if self._reply_queue_name is None:
            raise InternalError("amqp transport is not connected")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        correlation_id = message.correlation_id
        if correlation_id in self._pending:
            # One client's two calls under one X-Road-Id (the bus's id is scoped to the client): the
            # second is the caller's mistake (409).
            raise DuplicateRequest(f"a call with transaction id {correlation_id!r} is still being served")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        future: asyncio.Future[Message] = loop.create_future()
        self._pending[correlation_id] = future
        followed = False
        try:
            # The reply queue goes straight into the properties: no copy of the message to carry it.
            properties = amqp_properties(message, reply_to=self._reply_queue_name)
            try:
                publishing = await self._accepted(queue, message, properties, timeout)
            except PublishInDoubt as doubt:
                publishing = loop.create_future()  # it may have landed: follow it as a late publish
                publishing.set_exception(doubt)
            if publishing is not None:
                # Still unconfirmed: it may yet be delivered, so its outcome is followed, not dropped.
                outcome = follow_unconfirmed(
                    publishing,
                    future,
                    timeout,
                    lambda: self._pending.pop(correlation_id, None),
                    correlation_id,
                )
                followed = True
                raise PublishUnconfirmed(
                    f"the broker has not confirmed the request to {queue!r} yet; its outcome is followed",
                    outcome,
                )
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            async with asyncio.timeout(left):
                return await future
        except TimeoutError:
            raise BusTimeout(f"no reply from {queue!r} within {timeout:g} s") from None
        finally:
            if not followed:
                self._pending.pop(correlation_id, None)

    async def _accepted(
        self, queue: str, message: Message, properties: aiormq.spec.Basic.Properties, timeout: float
    ) -> asyncio.Future[None] | None:
        """Publish `message` and return None once the broker confirmed it; raise its refusal if it refused;
        return the publish itself when it is still unconfirmed past the grace (see unconfirmed.py).

        The publish runs as a task that nobody cancels: cut short while it waited for the channel (held
        by earlier publishes whose writes the broker throttles), it would never reach the broker, yet its
        caller would be told "accepted, no reply in time" (Server.Bus.Timeout), a silent loss. A publish
        still unconfirmed at the request's deadline gets `confirm_timeout` more seconds; the task still
        finishes in the background."""
        publishing = asyncio.ensure_future(self._publish(queue, message, properties))
        self._publishing.add(publishing)
        publishing.add_done_callback(self._publishing.discard)
        try:
            done, _ = await asyncio.wait({publishing}, timeout=timeout)
            if not done:
                log.info("trace request-publish-slow %s %s", message.message_id, message.correlation_id)
                done, _ = await asyncio.wait({publishing}, timeout=self.confirm_timeout)
        except asyncio.CancelledError:
            publishing.add_done_callback(_report_late_publish)  # the caller left; the publish goes on
            raise
        if not done:
            log.warning("trace request-publish-unconfirmed %s %s", message.message_id, message.correlation_id)
            return publishing
        publishing.result()  # a refusal (full queue, no route, broker gone): not accepted, say so
        log.debug("trace request-published %s %s", message.message_id, message.correlation_id)
        return None

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> AmqpSubscription:
        """Declare `queue` (and its dead-letter queue) on a new channel and consume it with manual acks."""
        if not queue:
            raise ValueError("queue name must not be empty")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        for attempt in range(1, CONSUME_ATTEMPTS + 1):
            try:
                subscription = await self._subscribe(queue, handler, prefetch, max_length)
                break
            except Exception as error:
                if not _is_cut(error):
                    raise
                # RabbitMQ 3.10 closes the whole connection (INTERNAL_ERROR, noproc in its log) when a
                # consumer arrives on a quorum queue that another worker declared an instant before,
                # while its Raft leader is still starting: wait for the reconnection and try again.
                if attempt == CONSUME_ATTEMPTS:
                    raise
                wait = self.reconnect_interval * attempt
                log.warning("consuming %s failed (%r); retrying in %.1f s", queue, error, wait)
                await asyncio.sleep(wait)
        self._subscriptions.append(subscription)
        return subscription

    async def _subscribe(
        self, queue: str, handler: Handler, prefetch: int, max_length: int | None
    ) -> AmqpSubscription:
        channel = await self.connection.channel(publisher_confirms=False)
        try:
            await channel.set_qos(prefetch_count=prefetch)
            declared = await self._declare(channel, queue, max_length)
            subscription = AmqpSubscription(channel, declared, handler)
            await subscription.start()
        except BaseException:
            with contextlib.suppress(*CONNECTION_LOST):
                await channel.close()
            raise
        return subscription

    async def _declare(self, channel: AbstractChannel, queue: str, max_length: int | None) -> AbstractQueue:
        suffix = dead_letter_queue("")
        service_queue = queue.removesuffix(suffix) if queue.endswith(suffix) else queue
        dlq = await channel.declare_queue(
            dead_letter_queue(service_queue), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(DEAD_LETTER_EXCHANGE, routing_key=service_queue)
        if queue != service_queue:
            return dlq
        arguments = queue_arguments(queue, self.delivery_limit, max_length)
        if not await self._declarable(queue, arguments):
            return await channel.declare_queue(queue, passive=True)
        return await channel.declare_queue(queue, durable=True, arguments=arguments)

    async def _declarable(self, queue: str, arguments: dict[str, Any]) -> bool:
        """Declare `queue` on a channel of its own; False when it exists with other arguments.

        RabbitMQ refuses to redeclare a queue with different arguments (and closes the channel), so a
        queue left by an older version is used as it is, with a warning saying how to upgrade it."""
        async with await self.connection.channel(publisher_confirms=False) as probe:
            try:
                await probe.declare_queue(queue, durable=True, arguments=arguments)
            except aiormq.exceptions.ChannelPreconditionFailed as refusal:
                log.warning(
                    "queue %s exists with other arguments than %s (%s); using it as it is. Drain and "
                    "delete it (rabbitmqctl delete_queue %s) so that it is redeclared with them",
                    queue,
                    arguments,
                    refusal,
                    queue,
                )
                return False
        return True

    async def _on_reply(self, delivered: DeliveredMessage) -> None:
        properties = delivered.header.properties
        future = self._pending.get(properties.correlation_id or "")
        if future is None or future.done():
            log.debug("dropping reply %s: nobody waits for it (late or unknown)", properties.correlation_id)
            return
        future.set_result(from_amqp(delivered.body, properties))


def _report_late_publish(publishing: asyncio.Future[None]) -> None:
    """Log a publish that failed after its caller stopped waiting for it (answered or cancelled)."""
    if publishing.cancelled():
        log.error("a request publish was cancelled after its caller stopped waiting")
    elif (error := publishing.exception()) is not None:
        log.error("a request whose caller stopped waiting was never accepted: %s", error)
