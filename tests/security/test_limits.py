"""Input limits: header count and size, JSON depth counted before parsing."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from bus.errors import BadRequest
from bus.gateway.limits import (
    HeaderLimitMiddleware,
    InputLimits,
    check_header_list,
    check_json_depth,
    json_depth,
)


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b"42", 0),
        (b'{"a": 1}', 1),
        (b'{"a": [1, {"b": [[]]}]}', 5),
        (b'{"text": "[[[[{{{{"}', 1),
        (b'{"esc": "\\"[[[", "x": [1]}', 2),
        (b"[" * 5000 + b"]" * 5000, 5000),
    ],
)
def test_json_depth_counts_nesting_outside_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_json_depth_agrees_with_a_parsed_document() -> None:
    document = {"a": [{"b": {"c": [1, 2, {"d": "]]]}"}]}}]}
    assert json_depth(json.dumps(document).encode()) == 6


def test_too_deep_json_is_bad_request_before_any_parsing() -> None:
    check_json_depth(b"[" * 32 + b"]" * 32, 32)
    with pytest.raises(BadRequest, match="deeper than 32"):
        check_json_depth(b"[" * 33 + b"]" * 33, 32)
    with pytest.raises(BadRequest):  # would blow json.loads' recursion limit if parsed
        check_json_depth(b"[" * 100_000, 32)


def test_many_brackets_that_do_not_nest_deep_are_accepted() -> None:
    # More brackets than the limit (so the text is walked), but shallow or inside strings.
    check_json_depth(b"[" + b"[1]," * 40 + b'"[[[[{{{{"]', 2)
    with pytest.raises(BadRequest):
        check_json_depth(b'["[[[", [[[1]]]]', 3)


def test_header_list_limits_count_and_total_size() -> None:
    limits = InputLimits(max_header_count=3, max_header_bytes=300)
    check_header_list([(b"a", b"1")] * 3, limits)
    with pytest.raises(BadRequest, match="more than 3 headers"):
        check_header_list([(b"a", b"1")] * 4, limits)
    with pytest.raises(BadRequest, match="larger than 300 bytes"):
        check_header_list([(b"a", b"x" * 300)], limits)


async def test_middleware_answers_client_bad_request_and_the_route_never_runs() -> None:
    calls: list[str] = []
    app = FastAPI()

    @app.get("/x")
    async def route() -> dict[str, bool]:
        calls.append("ran")
        return {"ok": True}

    app.add_middleware(HeaderLimitMiddleware, limits=InputLimits(max_header_count=10))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        ok = await http.get("/x")
        flooded = await http.get("/x", headers={f"x-{i}": "v" for i in range(20)})
    assert ok.status_code == 200 and calls == ["ran"]
    assert flooded.status_code == 400
    assert (
        flooded.json()["type"] == "Client.BadRequest" and "more than 10 headers" in flooded.json()["message"]
    )
