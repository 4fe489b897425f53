"""A request whose publish the broker had not confirmed by the caller's deadline (plus the transport's
confirm grace): it may still be delivered, so answering "time-out" would hide an effect that can happen
unseen. The transport raises `PublishUnconfirmed` instead, carrying the request's `outcome`: a task that
follows the publish to its end and resolves with the reply (accepted and answered), or raises why not:
the broker's refusal (not accepted: no effect) or BusTimeout (accepted, no reply in time: see the DLQ and
the worker's records). The gateway turns it into `202 Accepted` with the transaction's Location, and
stores the outcome there once known (or, if the gateway stops first, the Location resolves from the
worker's record: bus/gateway/durable_outcome.py). Callers that do not know it see an ordinary BusTimeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bus.errors import BusTimeout
from bus.transport.base import Message

log = logging.getLogger(__name__)


class PublishInDoubt(BusTimeout):
    """The connection dropped after a publish was sent and before the broker confirmed it, and it could not
    be sent again in time: the broker may have it, so this is not a refusal (no "nothing was done")."""


class PublishUnconfirmed(BusTimeout):
    """The publish of a request is still unconfirmed; `outcome` resolves with its reply or its failure."""

    def __init__(self, message: str, outcome: asyncio.Task[Message]) -> None:
        super().__init__(message)
        self.outcome = outcome


def follow_unconfirmed(
    publishing: asyncio.Future[None],
    reply: asyncio.Future[Message],
    reply_timeout: float,
    forget: Callable[[], object],
    what: str,
) -> asyncio.Task[Message]:
    """The task following a late publish: its refusal, or else the reply within `reply_timeout` seconds
    of the confirm. `forget` drops the reply's registration however it ends."""

    async def outcome() -> Message:
        accepted = "was accepted late"
        try:
            try:
                await publishing  # a refusal raises here: the request was never accepted
            except PublishInDoubt:
                accepted = "may have been accepted"  # its reply may still come
            log.warning("late publish %s %s; waiting %.1f s for its reply", what, accepted, reply_timeout)
            try:
                async with asyncio.timeout(reply_timeout):
                    return await reply
            except TimeoutError:
                raise BusTimeout(
                    f"{what} {accepted} and was not answered within {reply_timeout:g} s"
                ) from None
        finally:
            forget()

    task = asyncio.ensure_future(outcome())
    task.add_done_callback(_log_outcome(what))
    return task


def _log_outcome(what: str) -> Callable[[asyncio.Task[Message]], None]:
    def report(task: asyncio.Task[Message]) -> None:
        if task.cancelled():
            # Its process is stopping: the caller resolves the outcome from the bus's records instead.
            log.info("outcome of late publish %s no longer followed here (cancelled)", what)
        elif (error := task.exception()) is not None:
            log.warning("late publish %s ended without a reply: %s", what, error)
        else:
            log.warning("late publish %s answered", what)

    return report
