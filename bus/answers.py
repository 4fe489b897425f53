"""How a worker's Reply reads over HTTP: one rendering for the gateway's live answer and for the answer
stored under an Idempotency-Key, which a worker may record after the caller stopped waiting."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic_core import to_json

from bus.envelope import Reply

TRANSACTION_HEADER = "x-road-id"
WORKER_HEADER = "x-lgsp-worker"
JSON = "application/json"


class HttpAnswer(BaseModel):
    """An HTTP answer as status, headers and body text: what an idempotent replay gives back."""

    status: int
    headers: dict[str, str]
    body: str


def reply_headers(reply: Reply, transaction_id: str) -> dict[str, str]:
    """The caller's transaction id (its X-Road-Id), the worker that answered and the trace context of
    `reply` (whose correlation id is the bus's, not the caller's)."""
    headers = {TRANSACTION_HEADER: transaction_id}
    if reply.worker:
        headers[WORKER_HEADER] = reply.worker
    if reply.trace is not None:
        headers["traceparent"] = reply.trace.traceparent
    return headers


def reply_body(reply: Reply, transaction_id: str) -> bytes:
    """The payload, or the taxonomy error `{type, message, detail: <transaction_id>}`, as compact JSON."""
    if not reply.ok and reply.error is not None:
        return to_json(reply.error.model_copy(update={"detail": transaction_id}))
    # pydantic-core's encoder: compact UTF-8 JSON, ~8× cheaper than json.dumps on a typical answer.
    return to_json(reply.payload)


def http_answer(reply: Reply, transaction_id: str) -> HttpAnswer:
    """`reply` as the gateway answers it to the caller whose X-Road-Id is `transaction_id`."""
    headers = {**reply_headers(reply, transaction_id), "content-type": JSON}
    return HttpAnswer(status=reply.status, headers=headers, body=reply_body(reply, transaction_id).decode())
