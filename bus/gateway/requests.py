"""Turn an incoming HTTP request into an Envelope: headers, body limits, JSON payload."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

from fastapi import Request
from pydantic import JsonValue

from bus.answers import TRANSACTION_HEADER as TRANSACTION_HEADER  # the gateway's name for it
from bus.catalog import ClientSpec, ServiceSpec
from bus.envelope import Envelope, TraceContext, utc_now
from bus.errors import BadRequest, PayloadTooLarge

USER_HEADER = "x-road-userid"
ISSUE_HEADER = "x-road-issue"
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_HEADER_VALUE = 256


def header_values(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated header gives its first value, as
    Starlette's `request.headers.get` does. One pass, read instead of a dozen scans of the list."""
    return {
        name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(request.scope["headers"])
    }


async def read_body(request: Request, headers: Mapping[str, str], max_body_bytes: int) -> bytes:
    """The raw body, refused with PayloadTooLarge past the limit (checked before reading it all)."""
    declared = headers.get("content-length")
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


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value; BadRequest when it is unreasonably long."""
    value = headers.get(name)
    if value is not None and len(value) > MAX_HEADER_VALUE:
        raise BadRequest(f"header {name!r} is longer than {MAX_HEADER_VALUE} characters")
    return value


def build_envelope(
    request: Request,
    headers: Mapping[str, str],
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
        user_id=header(headers, USER_HEADER),
        issue=header(headers, ISSUE_HEADER),
        idempotency_key=header(headers, IDEMPOTENCY_HEADER),
        trace=TraceContext.from_header(headers.get("traceparent"), headers.get("tracestate")),
        payload=payload,
        deadline_at=utc_now() + timedelta(seconds=service.timeout),
    )
