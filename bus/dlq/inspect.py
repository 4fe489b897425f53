"""Inspect, replay and purge dead-letter queues through the transport contract.

RabbitMQ cannot browse a queue without taking messages, so browsing takes up to `limit` messages with
`get` (unacked: invisible to others meanwhile), reads them, and gives back those it does not remove
with nack(requeue), in the order taken. A browse is bounded by `limit`; it never consumes for good
unless replaying or purging. Replay is idempotent: the store remembers each replayed message id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ValidationError

from bus.codec import decode_envelope
from bus.dlq.effect import EFFECT_HEADER
from bus.dlq.record import (
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    DEAD_BY_HEADER,
    ERROR_MESSAGE_HEADER,
    ERROR_TYPE_HEADER,
    DeadLetter,
)
from bus.reliability.dedupe import DONE_PREFIX, CompletedWork
from bus.store.base import Store
from bus.transport.base import (
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    Delivery,
    Message,
    Transport,
    dead_letter_queue,
)

REPLAYED_PREFIX = "dlq:replayed:"
REPLAY_MEMORY_SECONDS = 30 * 86_400.0
DEFAULT_LIMIT = 1_000
_DEATH_HEADERS = {
    EFFECT_HEADER,
    DEATH_REASON_HEADER,
    ORIGINAL_QUEUE_HEADER,
    ERROR_TYPE_HEADER,
    ERROR_MESSAGE_HEADER,
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    DEAD_BY_HEADER,
}


@dataclass(frozen=True)
class LetterFilter:
    """Which dead letters a command applies to; every given criterion must hold."""

    message_id: str | None = None
    older_than: float | None = None  # seconds since dead-lettering
    error_type: str | None = None  # exact type or a prefix such as "Server.Provider"
    reason: str | None = None

    def matches(self, letter: DeadLetter, now: datetime) -> bool:
        """Whether `letter` passes every criterion."""
        if self.message_id is not None and letter.message_id != self.message_id:
            return False
        if self.reason is not None and letter.reason != self.reason:
            return False
        if self.error_type is not None and not (letter.error_type or "").startswith(self.error_type):
            return False
        if self.older_than is not None:
            at = letter.dead_lettered_at
            if at is None or now - at < timedelta(seconds=self.older_than):
                return False
        return True


class ReplayOutcome(BaseModel):
    """What a replay did: ids republished; ids left alone because an earlier replay republished them; and
    ids of further copies of a message republished in this same replay, removed (a publish retried
    after a broker cut can put one message in a queue twice, and both copies may die)."""

    replayed: list[str] = []
    already_replayed: list[str] = []
    duplicates_removed: list[str] = []


class DeadLetterQueues:
    """The dead-letter queues of some service queues, browsed and changed through `transport`."""

    def __init__(self, transport: Transport, store: Store, service_queues: Iterable[str]) -> None:
        self.transport = transport
        self.store = store
        self.service_queues = list(service_queues)

    async def letters(
        self, chosen: LetterFilter = LetterFilter(), *, limit: int = DEFAULT_LIMIT
    ) -> list[DeadLetter]:
        """Dead letters matching `chosen`, at most `limit` per queue examined; nothing is removed."""
        found: list[DeadLetter] = []
        for queue in self.service_queues:
            async with self._browse(queue, limit) as held:
                found.extend(letter for letter, _ in self._matching(held, chosen))
        return [await self._judged(letter) for letter in found]

    async def show(self, message_id: str, *, limit: int = DEFAULT_LIMIT) -> tuple[DeadLetter, Message] | None:
        """The dead letter with `message_id` and its message, if any queue holds it."""
        for queue in self.service_queues:
            async with self._browse(queue, limit) as held:
                for letter, delivery in self._matching(held, LetterFilter(message_id=message_id)):
                    return await self._judged(letter), delivery.message
        return None

    async def _judged(self, letter: DeadLetter) -> DeadLetter:
        """`letter` with effect "happened" when the worker recorded a successful answer for its work (the
        provider acted; only delivering the answer failed, e.g. the broker dead-lettered it)."""
        recorded = await CompletedWork(self.store).reply_for(letter.message_id)
        if recorded is not None and recorded.ok:
            return letter.model_copy(update={"effect": "happened"})
        return letter

    async def replay(self, chosen: LetterFilter, *, limit: int = DEFAULT_LIMIT) -> ReplayOutcome:
        """Republish matching letters to their service queue (attempt 1, death headers removed), once each;
        a second copy of a message republished by this replay is removed."""
        outcome = ReplayOutcome()
        republished: set[str] = set()
        for queue in self.service_queues:
            async with self._browse(queue, limit) as held:
                for letter, delivery in self._matching(held, chosen):
                    if letter.message_id in republished:
                        await delivery.ack()
                        held.remove(delivery)
                        outcome.duplicates_removed.append(letter.message_id)
                        continue
                    marker = REPLAYED_PREFIX + letter.message_id
                    if not await self.store.set_if_absent(marker, b"1", ttl=REPLAY_MEMORY_SECONDS):
                        outcome.already_replayed.append(letter.message_id)
                        continue
                    try:
                        await self.store.delete(DONE_PREFIX + letter.message_id)  # let the worker redo it
                        await self.transport.publish(letter.queue or queue, _revived(delivery.message))
                    except BaseException:
                        await self.store.delete(marker)
                        raise
                    await delivery.ack()
                    held.remove(delivery)
                    republished.add(letter.message_id)
                    outcome.replayed.append(letter.message_id)
        return outcome

    async def purge(self, chosen: LetterFilter, *, limit: int = DEFAULT_LIMIT) -> list[str]:
        """Remove matching letters for good; the ids removed."""
        removed: list[str] = []
        for queue in self.service_queues:
            async with self._browse(queue, limit) as held:
                for letter, delivery in self._matching(held, chosen):
                    await delivery.ack()
                    held.remove(delivery)
                    removed.append(letter.message_id)
        return removed

    @staticmethod
    def _matching(held: list[Delivery], chosen: LetterFilter) -> list[tuple[DeadLetter, Delivery]]:
        now = datetime.now(UTC)
        pairs = [(DeadLetter.of(delivery.message), delivery) for delivery in held]
        return [(letter, delivery) for letter, delivery in pairs if chosen.matches(letter, now)]

    @asynccontextmanager
    async def _browse(self, queue: str, limit: int) -> AsyncIterator[list[Delivery]]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        held: list[Delivery] = []
        try:
            while len(held) < limit and (delivery := await self.transport.get(dead_letter_queue(queue))):
                held.append(delivery)
            yield held
        finally:
            for delivery in held:  # still held: give back, in the order taken
                await delivery.nack(requeue=True)


def _revived(message: Message) -> Message:
    """The message as first sent: death headers dropped, attempt counting from 1 again."""
    headers = {k: v for k, v in message.headers.items() if k not in _DEATH_HEADERS}
    body = message.body
    try:
        body = decode_envelope(message).model_copy(update={"attempt": 1}).model_dump_json().encode()
    except ValidationError:
        pass  # an unparseable message is replayed as it is, e.g. after fixing the consumer
    # The caller stopped waiting long ago: no reply address, the result goes to the worker's record.
    return replace(message, body=body, headers=headers, reply_to=None)
