"""A 202's Location resolved from durable facts, when the gateway that answered it is gone.

The gateway that answers 202 follows the call in its own process and stores the outcome at the
Location. If that process stops or dies first, the Location would stay "pending" for ever. So every 202
records the request's message id and its work horizon, and a read of a still-pending Location (on any
gateway sharing the store) looks at what the bus itself keeps:

- the worker's completed-work record of that message (written for every final reply, dead-lettered
  ones included): the Location is "done" with the worker's answer;
- else, past the horizon and with no worker holding the message: "unknown", status 504
  `Server.Bus.OutcomeUnknown`: the request may have run or not (its publish may never have reached the
  broker). Not final: a record that appears later still turns the Location "done".

Nothing new runs for this: the record is the worker's, the horizon a timestamp, the check a read.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import JsonValue

from bus.envelope import Reply, utc_now
from bus.errors import OutcomeUnknown
from bus.reliability.dedupe import CompletedWork

if TYPE_CHECKING:  # async_requests reads its states through this module
    from bus.gateway.async_requests import TransactionState

UNKNOWN_ADVICE = (
    "the bus has no record of this request's outcome by the end of its work horizon: it may have run "
    "or not. Retry with the same Idempotency-Key (safe: it gets the outcome if one is recorded, else it "
    "carries the same request code to the provider); without a key, ask the provider before sending it again"
)


async def resolved(
    state: TransactionState, completed: CompletedWork, now: datetime | None = None
) -> TransactionState:
    """`state`, or, while it is pending, what the bus's records say of its message."""
    if state.state != "pending" or state.message_id is None:
        return state
    reply = await completed.reply_for(state.message_id)
    if reply is not None:
        return done_from(state, reply)
    past = state.resolve_by is not None and (now or utc_now()) >= state.resolve_by
    if past and not await completed.in_progress(state.message_id):
        return unknown(state)
    return state


def done_from(state: TransactionState, reply: Reply) -> TransactionState:
    """`state` finished with the worker's `reply`, as the gateway would have stored it."""
    result: JsonValue = reply.payload
    error = None
    if not reply.ok and reply.error is not None:
        result, error = None, reply.error.model_copy(update={"detail": state.transaction_id})
    return state.model_copy(
        update={
            "state": "done",
            "status": reply.status,
            "result": result,
            "error": error,
            "finished_at": reply.replied_at,
        }
    )


def unknown(state: TransactionState) -> TransactionState:
    """`state` past its horizon with no record: outcome unknown, and what the caller should do."""
    error = OutcomeUnknown(UNKNOWN_ADVICE)
    return state.model_copy(
        update={"state": "unknown", "status": error.status, "error": error.body(state.transaction_id)}
    )
