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


def reply_headers(reply: Reply) -> dict[str, str]:
    """The transaction id, the worker that answered and the trace context of `reply`."""
    headers = {TRANSACTION_HEADER: reply.correlation_id}
    if reply.worker:
        headers[WORKER_HEADER] = reply.worker
    if reply.trace is not None:
        headers["traceparent"] = reply.trace.traceparent
    return headers


def reply_body(reply: Reply) -> bytes:
    """The payload, or the taxonomy error `{type, message, detail: <transaction id>}`, as compact JSON."""
    if not reply.ok and reply.error is not None:
        return to_json(reply.error.model_copy(update={"detail": reply.correlation_id}))
    # pydantic-core's encoder: compact UTF-8 JSON, ~8× cheaper than json.dumps on a typical answer.
    return to_json(reply.payload)


def http_answer(reply: Reply) -> HttpAnswer:
    """`reply` as the gateway answers it."""
    headers = {**reply_headers(reply), "content-type": JSON}
    return HttpAnswer(status=reply.status, headers=headers, body=reply_body(reply).decode())
