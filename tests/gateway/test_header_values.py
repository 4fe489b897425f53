"""The gateway reads each header once, with the answers Starlette's `request.headers.get` gave."""

from __future__ import annotations

from starlette.requests import Request

from bus.gateway.requests import header_values

RAW = [
    (b"x-road-id", b"first"),
    (b"x-api-key", b"k\xe9y"),
    (b"x-road-id", b"second"),
    (b"traceparent", b""),
]


def test_header_values_answer_as_starlette_does_for_repeated_odd_and_absent_headers() -> None:
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": RAW})

    values = header_values(request)

    for name in ("x-road-id", "x-api-key", "traceparent", "x-road-client"):
        assert values.get(name) == request.headers.get(name), name
    assert values["x-road-id"] == "first"
