"""Turn an incoming HTTP request into an Envelope: headers, body limits, JSON payload."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import Request
from pydantic import JsonValue

from bus.catalog import ClientSpec, ServiceSpec
from bus.envelope import Envelope, TraceContext, utc_now
from bus.errors import BadRequest, PayloadTooLarge

TRANSACTION_HEADER = "x-road-id"
USER_HEADER = "x-road-userid"
ISSUE_HEADER = "x-road-issue"
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_HEADER_VALUE = 256


async def read_body(request: Request, max_body_bytes: int) -> bytes:
    """The raw body, refused with PayloadTooLarge past the limit (checked before reading it all)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {max_body_bytes}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_body_bytes:
            raise PayloadTooLarge(f"body exceeds the limit of {max_body_bytes} bytes")
    return bytes(body)


def parse_payload(body: bytes) -> JsonValue:
    """The JSON payload of a body (None when empty); BadRequest when it is not JSON."""
    if not body.strip():
        return None
    try:
        payload: JsonValue = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    return payload


def header(request: Request, name: str) -> str | None:
    """A header's value; BadRequest when it is unreasonably long."""
    value = request.headers.get(name)
    if value is not None and len(value) > MAX_HEADER_VALUE:
        raise BadRequest(f"header {name!r} is longer than {MAX_HEADER_VALUE} characters")
    return value


def build_envelope(
    request: Request,
    transaction_id: str,
    client: ClientSpec,
    service: ServiceSpec,
    path: str,
    payload: JsonValue,
) -> Envelope:
    """The envelope for this call, with the service's deadline and the caller's trace continued."""
    # Built once with its deadline: a second model (with_deadline's copy) per call is measurable.
    return Envelope(
        correlation_id=transaction_id,
        client=client.id,
        service=service.id,
        method=request.method,
        path=path,
        query=dict(request.query_params),
        user_id=header(request, USER_HEADER),
        issue=header(request, ISSUE_HEADER),
        idempotency_key=header(request, IDEMPOTENCY_HEADER),
        trace=TraceContext.from_header(request.headers.get("traceparent"), request.headers.get("tracestate")),
        payload=payload,
        deadline_at=utc_now() + timedelta(seconds=service.timeout),
    )
