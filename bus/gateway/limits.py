"""Input limits checked before any parsing: header count and size, JSON nesting depth.

(The body size limit is `requests.read_body`; XML is parsed only with DTDs and entities refused.)
Every check raises a `Client.*` error and reads nothing beyond what it must.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from bus.errors import BadRequest, ClientError

_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


class InputLimits(BaseModel):
    """The bounds every request must respect."""

    max_header_count: int = Field(64, ge=1)
    max_header_bytes: int = Field(16_384, ge=256, description="all names and values together")
    max_json_depth: int = Field(32, ge=1)


def check_header_list(headers: Iterable[tuple[bytes, bytes]], limits: InputLimits) -> None:
    """Raise BadRequest when the raw header list exceeds the count or total size limit.

    (The taxonomy maps Client.BadRequest to 400 alone, so no 431 here.)"""
    count = 0
    size = 0
    for name, value in headers:
        count += 1
        size += len(name) + len(value)
        if count > limits.max_header_count:
            raise BadRequest(f"more than {limits.max_header_count} headers")
        if size > limits.max_header_bytes:
            raise BadRequest(f"headers larger than {limits.max_header_bytes} bytes")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays/objects in JSON text, counted without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise BadRequest when JSON text nests deeper than `max_depth` (json.loads would recurse on it)."""
    # Nesting needs an opening bracket per level: with no more than `max_depth` of them in the whole
    # text (counted in C), the byte-by-byte walk cannot find too deep a nesting and is skipped.
    if body.count(b"{") + body.count(b"[") <= max_depth:
        return
    if json_depth(body) > max_depth:
        raise BadRequest(f"the JSON body nests deeper than {max_depth} levels")


class HeaderLimitMiddleware:
    """ASGI middleware refusing requests whose headers break `limits`, before any route runs."""

    def __init__(self, app: ASGIApp, limits: InputLimits | None = None) -> None:
        self.app = app
        self.limits = limits or InputLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                check_header_list(scope.get("headers", ()), self.limits)
            except BadRequest as error:
                await send_error(send, error)
                return
        await self.app(scope, receive, send)


async def send_error(send: Send, error: ClientError) -> None:
    """Answer a taxonomy error straight from ASGI middleware, before any app runs."""
    body = error.body().model_dump_json().encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
