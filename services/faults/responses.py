"""The bodies a faulty mock answers with: JSON errors, SOAP 1.1 faults and garbled payloads."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

SOAP_FAULT_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap:Body><soap:Fault>"
    "<faultcode>soap:Server</faultcode>"
    "<faultstring>{message}</faultstring>"
    "<detail><InjectedFault>{kind}</InjectedFault></detail>"
    "</soap:Fault></soap:Body></soap:Envelope>"
)
# Appended after the cut: 0x8b cannot start a UTF-8 sequence, so no JSON or XML parser accepts the body,
# as when an upstream sends gzip bytes without saying so.
GARBAGE_TAIL = b"\x1f\x8b"

Headers = list[tuple[bytes, bytes]]


def json_error(
    status: int, kind: str, message: str, extra_headers: Headers | None = None
) -> tuple[int, Headers, bytes]:
    """A JSON error answer `{type, status, message}`; `kind` also goes in the X-Fault-Injected header."""
    body = json.dumps({"type": kind, "status": status, "message": message}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), *(extra_headers or [])]
    return status, _with_common_headers(headers, kind, body), body


def soap_fault(kind: str, message: str) -> tuple[int, Headers, bytes]:
    """A SOAP 1.1 soap:Server fault with HTTP 500, as a SOAP service reports its own failures."""
    body = SOAP_FAULT_TEMPLATE.format(message=escape(message), kind=escape(kind)).encode()
    headers = [(b"content-type", b"text/xml; charset=utf-8")]
    return 500, _with_common_headers(headers, kind, body), body


def garble(body: bytes, u: float) -> bytes:
    """Cut `body` somewhere in its middle (chosen by `u` in [0, 1)) and add bytes no parser accepts."""
    cut = int(len(body) * (0.25 + 0.5 * u))
    return body[:cut] + GARBAGE_TAIL


def replace_content_length(headers: Headers, length: int) -> Headers:
    """`headers` with Content-Length set to `length`."""
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def _with_common_headers(headers: Headers, kind: str, body: bytes) -> Headers:
    return [*headers, (b"content-length", str(len(body)).encode()), (b"x-fault-injected", kind.encode())]
