"""The worker: consumes service queues, calls adapters, replies, and acks only after replying."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from pydantic import JsonValue, ValidationError

from adapters.base import Adapter, ManagedAdapter
from bus.catalog import Catalog, ServiceSpec
from bus.codec import decode_envelope, reply_message
from bus.envelope import Envelope, Reply, utc_now
from bus.errors import BusError, InternalError, NoRoute, ProviderTimeout
from bus.transport.base import Delivery, Handler, Subscription, Transport

log = logging.getLogger(__name__)


class Worker:
    """Serves the catalog's services (or the `only` subset) with their adapters over `transport`."""

    def __init__(
        self,
        catalog: Catalog,
        transport: Transport,
        adapters: Mapping[str, Adapter],
        *,
        name: str,
        only: Iterable[str] | None = None,
        drain_seconds: float = 10.0,
    ) -> None:
        wanted = set(only) if only is not None else None
        self.services: list[ServiceSpec] = [
            s for s in catalog.services if wanted is None or str(s.id) in wanted or s.adapter in wanted
        ]
        self.transport = transport
        self.adapters = dict(adapters)
        self.name = name
        self.drain_seconds = drain_seconds
        self._subscriptions: list[Subscription] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self.handled = 0

    async def start(self) -> None:
        """Start adapters that hold resources, then consume every hosted service's queue."""
        for adapter in self.adapters.values():
            if isinstance(adapter, ManagedAdapter):
                await adapter.start()
        await self.transport.connect()
        for service in self.services:
            adapter = self.adapters[service.adapter]
            handler = self._handler_for(service, adapter)
            subscription = await self.transport.consume(
                service.id.queue_name, handler, prefetch=service.concurrency
            )
            self._subscriptions.append(subscription)
        log.info("worker %s serving %d service(s)", self.name, len(self.services))

    async def stop(self) -> None:
        """Stop intake, let in-flight requests finish (up to drain_seconds), then close adapters."""
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=self.drain_seconds)
        for adapter in self.adapters.values():
            if isinstance(adapter, ManagedAdapter):
                await adapter.close()

    def _handler_for(self, service: ServiceSpec, adapter: Adapter) -> Handler:
        async def handle(delivery: Delivery) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await self._serve(service, adapter, delivery)
            finally:
                if task is not None:
                    self._in_flight.discard(task)

        return handle

    async def _serve(self, service: ServiceSpec, adapter: Adapter, delivery: Delivery) -> None:
        received_at = utc_now()
        try:
            envelope = decode_envelope(delivery.message)
        except ValidationError as exc:
            # Malformed on the bus means a bug upstream: park it in the DLQ with the reason.
            log.error("unparseable message %s on %s: %s", delivery.message.message_id, service.id, exc)
            await delivery.nack(requeue=False)
            return
        envelope = envelope.model_copy(update={"attempt": delivery.delivery_count})
        if envelope.deadline_at is not None and envelope.seconds_left() <= 0:
            log.warning("transaction %s expired before %s could serve it", envelope.correlation_id, self.name)
            await delivery.ack()
            return
        reply = await self._call(adapter, envelope)
        reply = reply.model_copy(update={"worker": self.name, "received_at": received_at})
        if delivery.message.reply_to:
            try:
                await self.transport.publish(delivery.message.reply_to, reply_message(reply))
            except NoRoute:
                log.warning("caller of %s is gone; reply dropped", envelope.correlation_id)
        await delivery.ack()
        self.handled += 1

    async def _call(self, adapter: Adapter, envelope: Envelope) -> Reply:
        try:
            async with asyncio.timeout(envelope.seconds_left()):
                payload: JsonValue = await adapter.handle(envelope)
            return Reply.success(envelope, payload)
        except BusError as error:
            return Reply.failure(envelope, error.body(envelope.correlation_id), error.status)
        except TimeoutError:
            late = ProviderTimeout(f"{envelope.service} did not answer within its deadline")
            return Reply.failure(envelope, late.body(envelope.correlation_id), late.status)
        except Exception as exc:  # an adapter bug must still produce an answer, never a lost message
            log.exception("adapter for %s failed on %s", envelope.service, envelope.correlation_id)
            fault = InternalError(f"adapter for {envelope.service} failed: {type(exc).__name__}")
            return Reply.failure(envelope, fault.body(envelope.correlation_id), fault.status)
