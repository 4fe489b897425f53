"""Turn an incoming HTTP request into an Envelope: headers, body limits, JSON payload."""

from __future__ import annotations

import json

from fastapi import Request
from pydantic import JsonValue

from bus.catalog import ClientSpec, ServiceSpec
from bus.envelope import Envelope, TraceContext, new_id
from bus.errors import BadRequest, PayloadTooLarge

TRANSACTION_HEADER = "x-road-id"
USER_HEADER = "x-road-userid"
ISSUE_HEADER = "x-road-issue"
IDEMPOTENCY_HEADER = "idempotency-key"
_MAX_HEADER_VALUE = 256


async def read_payload(request: Request, max_body_bytes: int) -> JsonValue:
    """The JSON body (None when empty); raises PayloadTooLarge or BadRequest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {max_body_bytes}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_body_bytes:
            raise PayloadTooLarge(f"body exceeds the limit of {max_body_bytes} bytes")
    if not body.strip():
        return None
    try:
        payload: JsonValue = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    return payload


def _header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    if len(value) > _MAX_HEADER_VALUE:
        raise BadRequest(f"header {name!r} is longer than {_MAX_HEADER_VALUE} characters")
    return value


def build_envelope(
    request: Request, client: ClientSpec, service: ServiceSpec, path: str, payload: JsonValue
) -> Envelope:
    """The envelope for this call, with the service's deadline and the caller's trace continued."""
    envelope = Envelope(
        correlation_id=_header(request, TRANSACTION_HEADER) or new_id(),
        client=client.id,
        service=service.id,
        method=request.method,
        path=path,
        query=dict(request.query_params),
        user_id=_header(request, USER_HEADER),
        issue=_header(request, ISSUE_HEADER),
        idempotency_key=_header(request, IDEMPOTENCY_HEADER),
        trace=TraceContext.from_header(request.headers.get("traceparent"), request.headers.get("tracestate")),
        payload=payload,
    )
    return envelope.with_deadline(service.timeout)
