"""Fuzz `/r1` with what an OpenAPI spec never generates (issue 14): lone surrogates, integers past
4,300 digits, NaN/Infinity, wrong and UTF-16 content types, any method, hostile X-Road-Ids, long URLs,
header floods, callbacks to private addresses.

Every answer must be a JSON error of the taxonomy or a success, never a 5xx; the figures join the fuzz
report (`reports/security/fuzz_run.json`, app "gateway-hostile").
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bus.errors import ERRORS_BY_TYPE
from bus.gateway.requests import TRANSACTION_ID
from tests.fuzz.apps import GATEWAY_HEADERS, gateway_app
from tests.fuzz.test_openapi_fuzz import TALLY, write_report

ECHO = "/r1/VN/GOV/HPG/SEC/Echo/v1"
EXAMPLES = 300

# Any code point, surrogates included (JSON escapes them; json.dumps writes them as \\udXXX).
any_text = st.text(st.characters(codec=None), max_size=20)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**4200), max_value=10**4200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def encode(value: Any, how: str) -> bytes:
    """`value` as JSON text the way a careless client writes it."""
    text = json.dumps(value, ensure_ascii=how == "ascii", allow_nan=True)
    return text.encode("utf-16" if how == "utf-16" else "utf-8", errors="surrogatepass")


bodies = st.one_of(
    st.builds(encode, json_values, st.sampled_from(["ascii", "utf-8", "utf-16"])),
    st.binary(max_size=200),
    st.just(b'{"n": ' + b"9" * 4400 + b"}"),
    st.just(b'{"s": "\\ud800"}'),
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=utf-16",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        'application/json; charset="latin-1"',
        ";;;",
    ]
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=300)
transaction_ids = st.none() | header_text | st.sampled_from(["../../etc", "a" * 129, "ok-id-1", " ", "x\ty"])
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND"])
extra_headers = st.sampled_from(
    [
        {},
        {f"x-h{i}": "v" for i in range(70)},  # past the header count limit
        {"x-big": "v" * 20_000},  # past the header size limit
        {"prefer": "respond-async", "x-callback-url": "http://169.254.169.254/latest/meta-data/"},
        {"prefer": "respond-async", "x-callback-url": "http://127.0.0.1:8000/admin"},
    ]
)
paths = st.one_of(
    st.sampled_from([ECHO, ECHO + "/sub/path", "/r1/VN/GOV/" + "A" * 8192, "/r1/", "/r1/%00/x"]),
    st.builds(
        lambda tail: "/r1/" + tail, st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=80)
    ),
)


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]]:
    """The fuzz gateway (secured stack, echo worker) on a loop of its own, lifespan entered."""
    app = gateway_app()
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw", timeout=10)
    yield loop, client
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(lifespan.__aexit__(None, None, None))
    loop.close()


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    method=methods,
    path=paths,
    body=bodies,
    content_type=content_types,
    transaction_id=transaction_ids,
    extra=extra_headers,
)
def test_hostile_input_gets_a_typed_json_answer_never_a_server_error(
    gateway: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient],
    method: str,
    path: str,
    body: bytes,
    content_type: str | None,
    transaction_id: str | None,
    extra: dict[str, str],
) -> None:
    loop, client = gateway
    headers = {name: value.encode("latin-1") for name, value in (GATEWAY_HEADERS | extra).items()}
    if content_type is not None:
        headers["content-type"] = content_type.encode("latin-1")
    if transaction_id is not None:
        headers["x-road-id"] = transaction_id.encode("latin-1")
    tally = TALLY.setdefault("gateway-hostile", Counter())
    try:
        answer = loop.run_until_complete(client.request(method, path, content=body, headers=headers))
        tally[f"{answer.status_code // 100}xx"] += 1
        assert answer.status_code < 500, f"{answer.status_code} for {method} {path[:80]}: {answer.text[:300]}"
        assert answer.headers["content-type"] == "application/json", answer.text[:200]
        if transaction_id is not None and TRANSACTION_ID.fullmatch(transaction_id):
            # The caller's own id comes back, never the bus's (which is scoped to the client).
            assert answer.headers.get("x-road-id") == transaction_id, answer.headers
        if answer.status_code >= 400 and method != "HEAD":  # a HEAD answer has no body
            error = answer.json()
            assert error["type"] in ERRORS_BY_TYPE and error["type"].startswith("Client."), error
            assert len(answer.content) < 1024, "an error quoting more than a short prefix of the input"
    except BaseException:
        tally["failed"] += 1
        raise
    finally:
        tally["cases"] += 1
        write_report()


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    body=bodies, content_type=st.sampled_from([None, "application/json", "application/json; charset=utf-8"])
)
def test_any_body_posted_to_a_service_is_served_or_refused_as_the_callers_error(
    gateway: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient], body: bytes, content_type: str | None
) -> None:
    """Past authentication, method and content type: whatever JSON (or not) the body holds, the echo
    service answers it or the gateway refuses it with Client.BadRequest."""
    loop, client = gateway
    headers = dict(GATEWAY_HEADERS) | ({"content-type": content_type} if content_type else {})
    tally = TALLY.setdefault("gateway-hostile", Counter())
    try:
        answer = loop.run_until_complete(client.post(ECHO, content=body, headers=headers))
        tally[f"{answer.status_code // 100}xx"] += 1
        assert answer.status_code in (200, 400), f"{answer.status_code}: {answer.text[:300]}"
        if answer.status_code == 400:
            assert answer.json()["type"] == "Client.BadRequest"
        else:
            assert body.strip() == b"" or json.loads(body) == answer.json()["echo"]
    except BaseException:
        tally["failed"] += 1
        raise
    finally:
        tally["cases"] += 1
        write_report()
