"""The worker: consumes service queues, calls adapters, replies, and acks only after the work is settled.

Per message: answer a redelivery of completed work from its record; take the work lease (renewed while
the work runs; an in-flight duplicate on another worker is put back for later); ask the provider's
circuit breaker; call the adapter within the service's concurrency limit, with a deadline of the
attempt's own; then either settle (record, settle its Idempotency-Key, reply, ack), retry a retryable
failure through a broker-held delay (attempt + 1), or, when attempts are used up, dead-letter it with
its reason and reply the last error. The worker never sleeps on a retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import JsonValue, ValidationError

from bus.adapter import Adapter, ManagedAdapter
from bus.catalog import Catalog, ServiceSpec
from bus.codec import decode_envelope, reply_message
from bus.dlq.effect import mark_attempt
from bus.dlq.record import REASON_RETRIES_EXHAUSTED, REASON_UNPARSEABLE, dead_letter_headers
from bus.envelope import Envelope, Reply, new_id, utc_now
from bus.errors import (
    BadRequest,
    BusError,
    BusUnavailable,
    CircuitOpen,
    InternalError,
    ProviderFault,
    ProviderTimeout,
)
from bus.key_states import KeyBook, envelope_key_location
from bus.reliability.backoff import retry_delay
from bus.reliability.breaker import CallCount, CircuitBreaker
from bus.reliability.dedupe import WORK_LEASE_SECONDS, CompletedWork, LeaseRenewal
from bus.store.base import Store
from bus.store.memory import MemoryStore
from bus.store.patient import PATIENCE_SECONDS, PatientStore, patiently
from bus.transport.base import Delivery, Handler, Message, Subscription, Transport, dead_letter_queue

log = logging.getLogger(__name__)

# Set on a retried message once its caller has had an answer, so later attempts do not answer again.
REPLIED_HEADER = "x-lgsp-replied"
# How long an in-flight duplicate waits before looking again whether the first copy completed.
DUPLICATE_RECHECK_SECONDS = 0.5
# How long a starting worker waits for an unreachable broker, as its store wrapper waits for Redis.
BROKER_PATIENCE_SECONDS = PATIENCE_SECONDS


def _broker_unreachable(refusal: BusUnavailable) -> None:
    log.warning("%s at start; waiting up to %.0f s for it", refusal, BROKER_PATIENCE_SECONDS)


def counts_against_provider(error: BusError | None) -> bool:
    """Whether a call's outcome is a provider failure for its circuit breaker: not a client's mistake,
    and not a failure that never reached the provider (its deadline passed before the call)."""
    return isinstance(error, ProviderFault) and error.retryable and error.provider_called


class Worker:
    """Serves the catalog's services (or the `only` subset) with their adapters over `transport`.

    `store` holds completed replies, work leases and breaker state; give every worker the same (Redis)
    store to dedupe and break circuits across processes. `draw` is the jitter's random source."""

    def __init__(
        self,
        catalog: Catalog,
        transport: Transport,
        adapters: Mapping[str, Adapter],
        *,
        name: str,
        only: Iterable[str] | None = None,
        drain_seconds: float = 10.0,
        store: Store | None = None,
        completed_ttl: float = 86_400.0,
        draw: Callable[[], float] = random.random,
    ) -> None:
        wanted = set(only) if only is not None else None
        self.services: list[ServiceSpec] = [
            s for s in catalog.services if wanted is None or str(s.id) in wanted or s.adapter in wanted
        ]
        self.transport = transport
        self.adapters = dict(adapters)
        self.name = name
        self.drain_seconds = drain_seconds
        # Patient: a store outage holds the work where it stood rather than failing it (store/patient.py).
        self.store: Store = PatientStore(store) if store is not None else MemoryStore()
        self.completed = CompletedWork(self.store, ttl=completed_ttl)
        self.keys = KeyBook(self.store, ttl=completed_ttl)
        self.draw = draw
        # One circuit per provider: the first hosted service naming an adapter gives its policy.
        self.breakers: dict[str, CircuitBreaker] = {}
        for service in self.services:
            self.breakers.setdefault(
                service.adapter, CircuitBreaker(self.store, service.adapter, service.breaker)
            )
        self._limits = {service.id: asyncio.Semaphore(service.concurrency) for service in self.services}
        self._holder = f"{name}/{new_id()}"
        self._subscriptions: list[Subscription] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self.handled = 0
        self.stats: Counter[str] = Counter()

    async def start(self) -> None:
        """Start adapters that hold resources, then consume every hosted service's queue; a store or
        broker outage at start is waited out (up to their patience) as one during work is."""
        for adapter in self.adapters.values():
            if isinstance(adapter, ManagedAdapter):
                await adapter.start()
        await self.store.connect()  # patient: waits out a store outage
        await patiently(self.transport.connect, BROKER_PATIENCE_SECONDS, _broker_unreachable)
        for service in self.services:
            adapter = self.adapters[service.adapter]
            handler = self._handler_for(service, adapter)
            queue = service.id.queue_name
            if service.max_queue_length is None:
                subscription = await self.transport.consume(queue, handler, prefetch=service.concurrency)
            else:
                subscription = await self.transport.consume(
                    queue, handler, prefetch=service.concurrency, max_length=service.max_queue_length
                )
            self._subscriptions.append(subscription)
        log.info("worker %s serving %d service(s)", self.name, len(self.services))

    async def stop(self) -> None:
        """Graceful stop: no new deliveries, in-flight work gets drain_seconds to finish and ack (the
        rest is requeued for another worker), then adapters are closed."""
        subscriptions, self._subscriptions = self._subscriptions, []
        await asyncio.gather(*(s.drain(self.drain_seconds) for s in subscriptions))
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
            refusal = BadRequest(f"message is not a valid envelope: {exc}")
            attempts = delivery.delivery_count
            await self._dead_letter(service, delivery.message, REASON_UNPARSEABLE, refusal, attempts)
            await delivery.ack()
            return
        _trace("received", envelope, delivery)
        recorded, leased = await self.completed.reply_or_lease(
            envelope.message_id, self._holder, seconds=WORK_LEASE_SECONDS
        )
        if recorded is not None:
            await self._answer_from_record(envelope, delivery, recorded)
            return
        if not leased:
            # Another worker is on this very message: look again once it has had time to finish.
            self.stats["in_flight_duplicates"] += 1
            queue = service.id.queue_name
            await self.transport.publish_delayed(queue, delivery.message, DUPLICATE_RECHECK_SECONDS)
            _trace("put-back", envelope, delivery)
            await delivery.ack()
            return
        renewal = LeaseRenewal(self.completed, envelope.message_id, self._holder)
        try:
            await self._work(service, adapter, delivery, envelope, received_at)
        finally:
            renewal.stop()

    async def _work(
        self,
        service: ServiceSpec,
        adapter: Adapter,
        delivery: Delivery,
        envelope: Envelope,
        received_at: datetime,
    ) -> None:
        """Call the provider under the work lease, then retry, dead-letter or settle."""
        attempt = envelope.attempt + delivery.delivery_count - 1  # a redelivery may have called too
        if attempt != envelope.attempt:
            envelope = envelope.model_copy(update={"attempt": attempt})
        reply, error, count = await self._guarded_call(service, adapter, envelope, received_at)
        dead_lettered = False
        if error is not None and error.retryable:
            if attempt < service.retry.max_attempts:
                await self._retry(service, delivery, envelope, reply, error)
                return
            self.stats["dead_lettered"] += 1
            await self._dead_letter(service, delivery.message, REASON_RETRIES_EXHAUSTED, error, attempt)
            dead_lettered = True
        # Encoded once: the same bytes are the record and the answer.
        answer = reply_message(reply)
        await self.completed.record(envelope.message_id, answer.body, count=count)
        key_location = envelope_key_location(envelope)
        if key_location is not None:
            # Before the answer: a client retry that finds the key settled gets this outcome.
            caller_id = envelope.caller_transaction_id or envelope.correlation_id
            await self.keys.settle_reply(key_location, envelope.message_id, reply, caller_id)
        await self._send_answer(delivery, answer)
        if dead_lettered:
            # A replay from the DLQ clears the record and must be able to take the lease at once.
            await self.completed.release(envelope.message_id)
        # Otherwise the lease is left to expire rather than released: once the record exists a
        # duplicate is answered from it, and one that slipped past that check still finds the lease
        # taken instead of calling the provider again. One Store round trip fewer per message.
        _trace("settled" if error is None else f"settled-{error.type}", envelope, delivery)
        await delivery.ack()
        self.handled += 1

    async def _answer_from_record(self, envelope: Envelope, delivery: Delivery, recorded: Reply) -> None:
        self.stats["answered_from_record"] += 1
        _trace("from-record", envelope, delivery)
        log.info("message %s already completed; answering from its record", envelope.message_id)
        await self._answer(delivery, recorded)
        await delivery.ack()

    async def _guarded_call(
        self, service: ServiceSpec, adapter: Adapter, envelope: Envelope, received_at: datetime
    ) -> tuple[Reply, BusError | None, CallCount | None]:
        """The call's reply and error, through its provider's circuit breaker; and where to count the call
        when it is a success whose record will count it (one store step for both), else None."""
        breaker = self.breakers[service.adapter]
        stamp = {"worker": self.name, "received_at": received_at}
        try:
            probe = await breaker.allow()
        except BusError as refused:  # CircuitOpen: the provider is not called at all
            self.stats["circuit_open"] += 1
            body = refused.body(envelope.correlation_id)
            return Reply.failure(envelope, body, refused.status, **stamp), refused, None
        async with self._limits[service.id]:
            timeout = self._attempt_seconds(service, envelope)
            reply, error = await self._call(adapter, envelope, timeout, stamp)
        reached = error is None or error.provider_called
        if reached and not probe and (error is None or not error.retryable):
            # A success for the breaker that will be recorded, neither retried nor dead-lettered.
            return reply, error, await breaker.success_count()
        if reached or probe:  # a probe that never reached the provider proves nothing: open again
            await breaker.record(ok=reached and not counts_against_provider(error), probe=probe)
        return reply, error, None

    @staticmethod
    def _attempt_seconds(service: ServiceSpec, envelope: Envelope) -> float:
        """The attempt's own time-out, from now: the caller's deadline bounds the caller's wait, not
        the bus's work. Only a first attempt whose caller still has half the time-out left is cut to
        the caller's deadline, so the caller hears the provider's verdict; a retry, a redelivery or a
        replay gets the service's whole time-out afresh."""
        left = envelope.seconds_left(default=service.timeout)
        if envelope.attempt == 1 and left >= service.timeout / 2:
            return min(service.timeout, left)
        return service.timeout

    async def _call(
        self, adapter: Adapter, envelope: Envelope, timeout: float, stamp: dict[str, Any]
    ) -> tuple[Reply, BusError | None]:
        """Call the adapter with the attempt's own deadline; the reply carries `stamp` (worker,
        received_at) from the start, uncopied."""
        attempt = envelope.model_copy(update={"deadline_at": utc_now() + timedelta(seconds=timeout)})
        try:
            async with asyncio.timeout(timeout):
                payload: JsonValue = await adapter.handle(attempt)
            return Reply.success(envelope, payload, **stamp), None
        except BusError as error:
            body = error.body(envelope.correlation_id)
            return Reply.failure(envelope, body, error.status, **stamp), error
        except TimeoutError:
            late = ProviderTimeout(f"{envelope.service} did not answer within {timeout:g} s")
            return Reply.failure(envelope, late.body(envelope.correlation_id), late.status, **stamp), late
        except Exception as exc:  # an adapter bug must still produce an answer, never a lost message
            log.exception("adapter for %s failed on %s", envelope.service, envelope.correlation_id)
            fault = InternalError(f"adapter for {envelope.service} failed: {type(exc).__name__}")
            return Reply.failure(envelope, fault.body(envelope.correlation_id), fault.status, **stamp), fault

    async def _retry(
        self, service: ServiceSpec, delivery: Delivery, envelope: Envelope, reply: Reply, error: BusError
    ) -> None:
        if isinstance(error, CircuitOpen) and error.retry_after is not None:
            # After the breaker's half-open time, spread out so the waiting retries do not all meet
            # the one probe (and use their attempts up on "a probe is under way").
            delay = error.retry_after + retry_delay(service.retry, envelope.attempt, draw=self.draw)
        else:
            delay = retry_delay(
                service.retry, envelope.attempt, retry_after=error.retry_after, draw=self.draw
            )
        headers = dict(delivery.message.headers)
        mark_attempt(headers, error.type)  # so a later dead letter knows whether any attempt acted
        if envelope.deadline_at is not None and delay >= envelope.seconds_left() and not _replied(delivery):
            # The caller's deadline passes before the next attempt: tell it now what went wrong
            # rather than leave it a bare time-out; the work carries on (the reply says so) and its
            # outcome is recorded, under its Idempotency-Key too.
            await self._answer(delivery, reply.model_copy(update={"settled": False}))
            headers[REPLIED_HEADER] = True
        retried = envelope.model_copy(update={"attempt": envelope.attempt + 1})
        message = replace(delivery.message, body=retried.model_dump_json().encode(), headers=headers)
        await self.completed.release(envelope.message_id)
        await self.transport.publish_delayed(service.id.queue_name, message, delay)
        _trace(f"retry-published-{error.type}", envelope, delivery)
        await delivery.ack()
        self.stats["retried"] += 1
        log.info(
            "retry %s: attempt %d %s, next in %.3f s",
            retried.message_id,
            retried.attempt - 1,
            error.type,
            delay,
        )

    async def _dead_letter(
        self, service: ServiceSpec, message: Message, reason: str, error: BusError, attempts: int
    ) -> None:
        queue = service.id.queue_name
        headers = dead_letter_headers(
            message,
            queue=queue,
            reason=reason,
            error_type=error.type,
            error_message=error.message,
            attempts=attempts,
            at=utc_now(),
            by=self.name,
        )
        await self.transport.publish(dead_letter_queue(queue), replace(message, headers=headers))
        log.warning("dead-lettered %s from %s: %s, %d attempts", message.message_id, queue, reason, attempts)

    async def _answer(self, delivery: Delivery, reply: Reply) -> None:
        await self._send_answer(delivery, reply_message(reply))

    async def _send_answer(self, delivery: Delivery, answer: Message) -> None:
        reply_to = delivery.message.reply_to
        if not reply_to or _replied(delivery):
            return
        await self.transport.reply(reply_to, answer)


def _trace(stage: str, envelope: Envelope, delivery: Delivery) -> None:
    # One line per message and stage, so a message missing at the end can be followed to where it was
    # last seen.
    log.debug(
        "trace %s %s issue=%s attempt=%d delivery=%d",
        stage,
        envelope.message_id,
        envelope.issue,
        envelope.attempt,
        delivery.delivery_count,
    )


def _replied(delivery: Delivery) -> bool:
    return delivery.message.headers.get(REPLIED_HEADER) is True
