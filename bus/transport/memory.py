"""The in-process transport: an asyncio broker that acks, requeues, redelivers and dead-letters like RabbitMQ.

Several `MemoryTransport`s may share one `MemoryBroker`, the way several processes share one RabbitMQ;
closing one of them is how a test makes a consumer die mid-message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

from bus.envelope import new_id
from bus.errors import BusTimeout, DuplicateRequest, InternalError, NoRoute, Overloaded
from bus.transport.base import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    REASON_DELIVERY_LIMIT,
    REASON_REJECTED,
    Delivery,
    Handler,
    HeaderValue,
    Message,
    dead_letter_queue,
)

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    """A message waiting in a queue, with how many times it has been delivered so far."""

    message: Message
    deliveries: int = 0


class MemoryBroker:
    """The queues shared by every `MemoryTransport` attached to it."""

    def __init__(self) -> None:
        self._queues: dict[str, _MemoryQueue] = {}
        self._reply_sinks: dict[str, Callable[[Message], None]] = {}
        self._delayed = 0

    def declare(self, name: str, delivery_limit: int, max_length: int | None = None) -> _MemoryQueue:
        """The queue `name`, created if needed; a service queue also gets its dead-letter queue.
        The first declaration fixes the queue's limits, as on RabbitMQ."""
        if name in self._queues:
            return self._queues[name]
        if name.endswith(dead_letter_queue("")):
            # A dead-letter queue has no limit and no DLX of its own, like `<queue>.dlq` on RabbitMQ.
            queue = _MemoryQueue(name, delivery_limit=None, dead_letter=None)
        else:
            dlq = self.declare(dead_letter_queue(name), delivery_limit)
            queue = _MemoryQueue(name, delivery_limit=delivery_limit, dead_letter=dlq, max_length=max_length)
        self._queues[name] = queue
        return queue

    def queue(self, name: str) -> _MemoryQueue:
        """The declared queue `name`; NoRoute when there is none."""
        queue = self._queues.get(name)
        if queue is None:
            raise NoRoute(f"no queue named {name!r}")
        return queue

    def declared(self, name: str) -> bool:
        """Whether a queue `name` exists (declared by a consumer, or a dead-letter queue beside one)."""
        return name in self._queues

    def depth(self, name: str) -> int:
        """How many messages wait in `name`, not counting those delivered and unacked."""
        queue = self._queues.get(name)
        return len(queue.ready) if queue else 0

    def add_reply_sink(self, name: str, sink: Callable[[Message], None]) -> None:
        """Route messages for reply address `name` straight to `sink` (no acks, like no-ack consuming)."""
        self._reply_sinks[name] = sink

    def remove_reply_sink(self, name: str) -> None:
        """Drop reply address `name`; later publishes to it raise NoRoute."""
        self._reply_sinks.pop(name, None)

    def route(self, name: str, message: Message) -> None:
        """Hand `message` to queue or reply address `name`; NoRoute when neither exists."""
        sink = self._reply_sinks.get(name)
        if sink is not None:
            sink(message)
            return
        queue = self.queue(name)
        if queue.max_length is not None and len(queue.ready) >= queue.max_length:
            raise Overloaded(f"queue {name!r} is full ({queue.max_length} messages waiting); try again later")
        queue.put(_Entry(message))

    def schedule(self, name: str, message: Message, delay: float) -> None:
        """Put `message` on queue `name` after `delay` seconds, like a TTL retry queue dead-lettering back.

        The broker holds the timer, so the message survives the transport that scheduled it."""
        self.queue(name)  # NoRoute now rather than a silent loss later
        asyncio.get_running_loop().call_later(delay, self._return_delayed, name, message)
        self._delayed += 1

    def _return_delayed(self, name: str, message: Message) -> None:
        self._delayed -= 1
        # Dead-lettering back bypasses the length bound, as RabbitMQ's at-least-once dead-lettering
        # waits rather than drops: a retry already accepted must not be lost to a full queue.
        self._queues[name].put(_Entry(message))

    @property
    def delayed(self) -> int:
        """Messages waiting on a delay timer (scheduled, not yet back): what a test waits out to know
        the bus has settled (the chaos test)."""
        return self._delayed


class _MemoryQueue:
    """One durable queue: ready messages plus the consumers it dispatches to, round-robin."""

    def __init__(
        self,
        name: str,
        *,
        delivery_limit: int | None,
        dead_letter: _MemoryQueue | None,
        max_length: int | None = None,
    ) -> None:
        self.name = name
        self.delivery_limit = delivery_limit
        self.dead_letter = dead_letter
        self.max_length = max_length
        self.ready: deque[_Entry] = deque()
        # How many entries at the front of `ready` are returns: like a quorum queue, returned messages
        # go out before new ones, in the order they were returned.
        self.returned = 0
        self.consumers: list[MemorySubscription] = []
        self._next_consumer = 0

    def put(self, entry: _Entry, *, front: bool = False) -> None:
        """Enqueue `entry` (returned messages go after earlier returns, before new ones) and dispatch."""
        if front:
            self.ready.insert(self.returned, entry)
            self.returned += 1
        else:
            self.ready.append(entry)
        self.dispatch()

    def give_back(self, entry: _Entry) -> None:
        """A delivery failed: requeue it, or dead-letter it once it has used up its deliveries."""
        if self.delivery_limit is not None and entry.deliveries >= self.delivery_limit:
            self.dead_letter_entry(entry, REASON_DELIVERY_LIMIT)
        else:
            self.put(entry, front=True)

    def dead_letter_entry(self, entry: _Entry, reason: str) -> None:
        """Move `entry` to the dead-letter queue with why; a queue without one drops it, as RabbitMQ does."""
        if self.dead_letter is None:
            log.warning("dropping %s from %s: no dead-letter queue", entry.message.message_id, self.name)
            return
        headers: dict[str, HeaderValue] = {
            **entry.message.headers,
            DEATH_REASON_HEADER: reason,
            ORIGINAL_QUEUE_HEADER: self.name,
        }
        self.dead_letter.put(_Entry(replace(entry.message, headers=headers)))

    def dispatch(self) -> None:
        """Deliver ready messages to consumers with spare prefetch, rotating among them."""
        while self.ready and self.consumers:
            consumer = self._pick_consumer()
            if consumer is None:
                return
            entry = self.take()
            consumer.deliver(entry)

    def take(self) -> _Entry:
        """Remove the next ready entry, counting it as delivered once more."""
        entry = self.ready.popleft()
        self.returned = max(0, self.returned - 1)
        entry.deliveries += 1
        return entry

    def _pick_consumer(self) -> MemorySubscription | None:
        count = len(self.consumers)
        for offset in range(count):
            index = (self._next_consumer + offset) % count
            if self.consumers[index].has_capacity:
                self._next_consumer = (index + 1) % count
                return self.consumers[index]
        return None


class MemoryDelivery:
    """A message handed to a memory consumer; owned by it until acked, nacked, or the consumer dies."""

    def __init__(self, entry: _Entry, consumer: MemorySubscription) -> None:
        self._entry = entry
        self._consumer = consumer
        self._delivery_count = entry.deliveries  # the entry counts on if it is redelivered
        self._settled = False

    @property
    def message(self) -> Message:
        """The message delivered."""
        return self._entry.message

    @property
    def delivery_count(self) -> int:
        """1 on first delivery, 2 on the first redelivery, and so on."""
        return self._delivery_count

    @property
    def settled(self) -> bool:
        """True once acked, nacked or taken back from a cancelled consumer."""
        return self._settled

    async def ack(self) -> None:
        """The work is done: remove the message for good."""
        if self._settle():
            self._consumer.queue.dispatch()

    async def nack(self, requeue: bool = True) -> None:
        """Redeliver the message (counting towards the limit), or dead-letter it at once."""
        if not self._settle():
            return
        if requeue:
            self._consumer.queue.give_back(self._entry)
        else:
            self._consumer.queue.dead_letter_entry(self._entry, REASON_REJECTED)
        self._consumer.queue.dispatch()

    def take_back(self) -> _Entry:
        """Detach the delivery from a dying consumer; a late ack or nack becomes a no-op."""
        self._settled = True
        return self._entry

    def _settle(self) -> bool:
        if self._settled:
            if self._consumer.cancelled:
                log.info("ignoring settlement of %s: its consumer is gone", self.message.message_id)
                return False
            raise RuntimeError(f"delivery of {self.message.message_id} was already acked or nacked")
        self._settled = True
        self._consumer.unacked.discard(self)
        return True


class MemorySubscription:
    """A subscription: runs the handler once per delivery, at most `prefetch` unacked at a time."""

    def __init__(self, queue: _MemoryQueue, handler: Handler, prefetch: int) -> None:
        self.queue = queue
        self.handler = handler
        self.prefetch = prefetch
        self.unacked: set[MemoryDelivery] = set()
        self.cancelled = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def has_capacity(self) -> bool:
        """Whether another delivery fits within the prefetch window."""
        return not self.cancelled and len(self.unacked) < self.prefetch

    def deliver(self, entry: _Entry) -> None:
        """Start the handler on `entry` in its own task."""
        delivery = MemoryDelivery(entry, self)
        self.unacked.add(delivery)
        task = asyncio.get_running_loop().create_task(self._run(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, delivery: MemoryDelivery) -> None:
        try:
            await self.handler(delivery)
        except Exception:
            log.exception("handler failed on %s; requeueing", delivery.message.message_id)
            if not delivery.settled:
                await delivery.nack(requeue=True)
            return
        if not delivery.settled:
            log.debug("handler left %s unacked; it holds a prefetch slot", delivery.message.message_id)

    async def drain(self, timeout: float) -> None:
        """Stop new deliveries, give running handlers `timeout` seconds to settle, then cancel the rest."""
        if self.cancelled:
            return
        if self in self.queue.consumers:
            self.queue.consumers.remove(self)
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        if running:
            await asyncio.wait(running, timeout=timeout)
        await self.cancel()

    async def cancel(self) -> None:
        """Stop consuming, stop running handlers, and return unacked messages to the queue."""
        if self.cancelled:
            return
        self.cancelled = True
        if self in self.queue.consumers:
            self.queue.consumers.remove(self)
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for delivery in list(self.unacked):
            self.unacked.discard(delivery)
            self.queue.give_back(delivery.take_back())
        self.queue.dispatch()


class MemoryTransport:
    """The embedded transport: same contract as AmqpTransport, no broker process needed."""

    def __init__(self, broker: MemoryBroker | None = None, *, delivery_limit: int = 5) -> None:
        if delivery_limit < 1:
            raise ValueError(f"delivery_limit must be at least 1, got {delivery_limit}")
        self.broker = broker if broker is not None else MemoryBroker()
        self.delivery_limit = delivery_limit
        self._reply_address: str | None = None
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._consumers: list[MemorySubscription] = []
        # One handler-less subscription per queue holds what `get` took until it is settled.
        self._getters: dict[str, MemorySubscription] = {}

    async def connect(self) -> None:
        """Open the reply address; idempotent."""
        if self._reply_address is None:
            self._reply_address = f"lgsp.reply.{new_id()}"
            self.broker.add_reply_sink(self._reply_address, self._on_reply)

    async def close(self) -> None:
        """Stop consumers (unacked messages are requeued), fail pending requests, drop the reply address."""
        consumers, self._consumers = self._consumers, []
        consumers.extend(self._getters.values())
        self._getters.clear()
        for consumer in consumers:
            await consumer.cancel()
        if self._reply_address is not None:
            self.broker.remove_reply_sink(self._reply_address)
            self._reply_address = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(InternalError("transport closed while waiting for a reply"))

    async def publish(self, queue: str, message: Message) -> None:
        """Put `message` on `queue` or a reply address; NoRoute when it does not exist."""
        self._require_open()
        self.broker.route(queue, message)

    async def reply(self, address: str, message: Message) -> None:
        """Put an answer on a reply address; dropped when the address is gone."""
        self._require_open()
        try:
            self.broker.route(address, message)
        except NoRoute:
            log.debug("answer %s dropped: reply address %s is gone", message.correlation_id, address)

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        """Put `message` on `queue` after `delay` seconds (a broker timer); NoRoute when it does not exist."""
        self._require_open()
        if not delay >= 0:
            raise ValueError(f"delay must be a non-negative number of seconds, got {delay!r}")
        self.broker.schedule(queue, message, delay)

    async def get(self, queue: str) -> MemoryDelivery | None:
        """Take the next ready message of `queue`, unacked, or None when it is empty."""
        self._require_open()
        declared = self.broker.queue(queue)
        if not declared.ready:
            return None
        getter = self._getters.get(queue)
        if getter is None:
            getter = MemorySubscription(declared, _never_called, prefetch=1)
            self._getters[queue] = getter
        entry = declared.take()
        delivery = MemoryDelivery(entry, getter)
        getter.unacked.add(delivery)
        return delivery

    async def request(
        self,
        queue: str,
        message: Message,
        timeout: float,
    ) -> Message:
        """Publish with this transport's reply address and wait for the reply with the same correlation id."""
        reply_to = self._require_open()
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        correlation_id = message.correlation_id
        if correlation_id in self._pending:
            # One client's two calls under one X-Road-Id (the bus's id is scoped to the client): the
            # second is the caller's mistake (409).
            raise DuplicateRequest(f"a call with transaction id {correlation_id!r} is still being served")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()
        self._pending[correlation_id] = future
        # A bare timer on the future itself: asyncio.wait_for wraps it in a second future per call.
        timer = loop.call_later(timeout, _time_out, future)
        try:
            self.broker.route(queue, _addressed(message, reply_to))
            return await future
        except TimeoutError:
            raise BusTimeout(f"no reply from {queue!r} within {timeout:g} s") from None
        finally:
            timer.cancel()
            self._pending.pop(correlation_id, None)

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> MemorySubscription:
        """Declare `queue` (and its dead-letter queue) and start delivering to `handler`."""
        self._require_open()
        if not queue:
            raise ValueError("queue name must not be empty")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch}")
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        declared = self.broker.declare(queue, self.delivery_limit, max_length)
        consumer = MemorySubscription(declared, handler, prefetch)
        self._consumers.append(consumer)
        declared.consumers.append(consumer)
        declared.dispatch()
        return consumer

    def _on_reply(self, message: Message) -> None:
        future = self._pending.get(message.correlation_id)
        if future is None or future.done():
            log.debug("dropping reply %s: nobody waits for it (late or unknown)", message.correlation_id)
            return
        future.set_result(message)

    def _require_open(self) -> str:
        if self._reply_address is None:
            raise InternalError("memory transport is not connected")
        return self._reply_address


async def _never_called(delivery: Delivery) -> None:
    raise AssertionError("a get() holder is never dispatched to")  # it is not in any consumer list


def _addressed(message: Message, reply_to: str) -> Message:
    """`message` to be answered at `reply_to`: written out, as dataclasses.replace's walk over the fields
    costs twice as much (a test keeps this in step with Message's fields)."""
    return Message(
        message.body,
        message.message_id,
        message.correlation_id,
        reply_to,
        message.headers,
        message.content_type,
        message.written_from,
    )


def _time_out(future: asyncio.Future[Message]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())
