"""Turn an incoming HTTP request into an Envelope: headers, body limits, JSON payload."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from datetime import timedelta

from fastapi import Request
from pydantic import JsonValue
from pydantic_core import from_json
from starlette.requests import ClientDisconnect

from bus.answers import TRANSACTION_HEADER as TRANSACTION_HEADER  # the gateway's name for it
from bus.catalog import ClientSpec, ServiceSpec
from bus.envelope import Envelope, TraceContext, scoped_transaction_id, utc_now
from bus.errors import BadRequest, PayloadTooLarge, RequestIncomplete, UnsupportedMediaType

log = logging.getLogger(__name__)

USER_HEADER = "x-road-userid"
ISSUE_HEADER = "x-road-issue"
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_HEADER_VALUE = 256
# A caller's X-Road-Id: UUIDs and the like; the charset keeps it safe in logs, paths and store keys.
TRANSACTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# A number literal whose exponent may overflow a float (1e400 parses to inf, which JSON cannot carry).
_BIG_EXPONENT = re.compile(rb"[0-9][eE]\+?[0-9]{3}")


def header_values(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated header gives its first value, as
    Starlette's `request.headers.get` does. One pass, read instead of a dozen scans of the list."""
    return {
        name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(request.scope["headers"])
    }


def caller_transaction_id(headers: Mapping[str, str]) -> str | None:
    """The caller's `X-Road-Id` when it is well-formed (see `check_transaction_id`), else None."""
    given = headers.get(TRANSACTION_HEADER)
    return given if given is not None and TRANSACTION_ID.fullmatch(given) else None


def check_transaction_id(headers: Mapping[str, str]) -> None:
    """BadRequest when the caller sent an `X-Road-Id` that is not 1-128 of `A-Z a-z 0-9 . _ : -`
    starting with a letter or digit (the value is not echoed)."""
    if TRANSACTION_HEADER in headers and caller_transaction_id(headers) is None:
        raise BadRequest(
            f"header {TRANSACTION_HEADER!r} must be 1-128 characters of A-Z a-z 0-9 . _ : - "
            "starting with a letter or digit (a UUID will do)"
        )


async def read_body(request: Request, headers: Mapping[str, str], max_body_bytes: int) -> bytes:
    """The raw body, refused with PayloadTooLarge past the limit (checked before reading it all);
    RequestIncomplete when the caller leaves, or the server's read time-out closes it, mid-body."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {max_body_bytes}")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_body_bytes:
                raise PayloadTooLarge(f"body exceeds the limit of {max_body_bytes} bytes")
    except ClientDisconnect:
        # Routine on the internet (a caller gave up, a slow one was cut off): a warning, not a traceback.
        log.warning("caller disconnected after %d body bytes of %s", len(body), declared or "unknown")
        raise RequestIncomplete(f"the body ended after {len(body)} bytes: connection closed") from None
    return bytes(body)


def check_media_type(content_type: str | None) -> None:
    """UnsupportedMediaType unless the content type is `application/json` (or `…+json`) in UTF-8.

    A body sent with no content type at all is read as JSON (what every caller of `/r1` sends);
    one declared as anything else (text/plain, a form, UTF-16) is refused."""
    if content_type is None:
        return
    media, _, parameters = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise UnsupportedMediaType("send the body as 'content-type: application/json' (UTF-8)")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("a JSON body must be UTF-8 (RFC 8259); send charset=utf-8 or none")


def parse_payload(body: bytes, content_type: str | None = "application/json") -> JsonValue:
    """The JSON payload of a body (None when empty). UnsupportedMediaType for a body that is not
    declared as UTF-8 JSON; BadRequest for invalid JSON, lone surrogates, NaN/Infinity and numbers
    that overflow (an integer over 4,300 digits, a float past 1.8e308)."""
    if not body.strip():
        return None
    check_media_type(content_type)
    try:
        # jiter (pydantic-core) refuses lone surrogates and oversized integers, which json.loads lets
        # through to fail later as a 500 when the payload is encoded again.
        payload: JsonValue = from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if _BIG_EXPONENT.search(body) and not _finite(payload):
        raise BadRequest("body is not valid JSON: a number is too large for a 64-bit float")
    return payload


def _finite(value: JsonValue) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


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
    """The envelope for this call, with the service's deadline and the caller's trace continued; its
    correlation id is the bus's id for the caller's `transaction_id` (its X-Road-Id), scoped to the client.

    `payload` is what `parse_payload` read from the body: JSON's own values already, so the envelope takes
    it as it is. Validating it as `JsonValue` again calls pydantic's Python discriminator once per value
    (a synchronised dossier's ≈ 30 values: most of the envelope's cost)."""
    # Built once with its deadline: a second model (with_deadline's copy) per call is measurable.
    envelope = Envelope(
        correlation_id=scoped_transaction_id(str(client.id), transaction_id),
        caller_transaction_id=transaction_id,
        client=client.id,
        service=service.id,
        method=request.method,
        path=path,
        # Most calls carry no query string: Starlette's parse of an empty one costs ≈ 2 µs.
        query=dict(request.query_params) if request.scope.get("query_string") else {},
        user_id=header(headers, USER_HEADER),
        issue=header(headers, ISSUE_HEADER),
        idempotency_key=header(headers, IDEMPOTENCY_HEADER),
        trace=TraceContext.from_header(headers.get("traceparent"), headers.get("tracestate")),
        payload=None,
        deadline_at=utc_now() + timedelta(seconds=service.timeout),
    )
    envelope.__dict__["payload"] = payload  # frozen: set once here, before anyone else sees it
    return envelope
