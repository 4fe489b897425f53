"""ProviderClient against a real uvicorn server: deadlines, failure mapping, headers, pooling.

Every test runs on both connection layers a deployment may use: the default aiohttp pool and httpx's
own (httpcore) transport given explicitly.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from adapters.sdk import REQUEST_ID_HEADER, ProviderClient
from adapters.sdk.aiohttp_transport import AiohttpTransport, with_length
from adapters.sdk.http_client import JSON_TYPE, bytes_request, json_bytes
from bus.envelope import Envelope, TraceContext
from bus.errors import (
    BadResponse,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)


def _provider_app() -> FastAPI:
    app = FastAPI()

    @app.get("/headers")
    async def headers(request: Request) -> dict[str, object]:
        return {"headers": dict(request.headers), "client_port": request.client.port if request.client else 0}

    @app.get("/raw-headers")
    async def raw_headers(request: Request) -> list[list[str]]:
        return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in request.headers.raw]

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"late": "yes"}

    @app.get("/trickle")
    async def trickle() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(25):
                await asyncio.sleep(0.2)
                yield b"x"

        return StreamingResponse(chunks())

    @app.get("/status/{code}")
    async def status(code: int, retry_after: str | None = None) -> Response:
        headers = {"Retry-After": retry_after} if retry_after else {}
        return JSONResponse({"message": f"Lỗi {code} từ hệ thống"}, status_code=code, headers=headers)

    @app.get("/not-json")
    async def not_json() -> PlainTextResponse:
        return PlainTextResponse("<html>maintenance</html>")

    @app.get("/held")
    async def held(request: Request) -> dict[str, int]:
        await asyncio.sleep(0.2)
        return {"client_port": request.client.port if request.client else 0}

    @app.get("/set-cookie")
    async def set_cookie() -> JSONResponse:
        answer = JSONResponse({"set": True})
        answer.set_cookie("session", "citizen-A")
        return answer

    @app.get("/big")
    async def big() -> PlainTextResponse:
        return PlainTextResponse("y" * 5000)

    @app.get("/gzip")
    async def gzipped() -> Response:
        return Response(
            gzip.compress(b"y" * 5000), media_type="text/plain", headers={"Content-Encoding": "gzip"}
        )

    return app


def _serve(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test provider did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def provider_url() -> Iterator[str]:
    yield from _serve(_provider_app())


class _Connect:
    """Makes ProviderClients on one connection layer."""

    def __init__(self, layer: str) -> None:
        self.layer = layer

    def __call__(
        self, base_url: str, *, provider: str = "p", max_connections: int = 100, **options: Any
    ) -> ProviderClient:
        if self.layer == "aiohttp":
            transport: httpx.AsyncBaseTransport = AiohttpTransport(max_connections=max_connections)
        else:
            transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=max_connections))
        return ProviderClient(base_url, provider=provider, transport=transport, **options)


@pytest.fixture(params=["aiohttp", "httpcore"])
def connect(request: pytest.FixtureRequest) -> _Connect:
    return _Connect(request.param)


@pytest.fixture
async def client(provider_url: str, connect: _Connect) -> AsyncIterator[ProviderClient]:
    async with connect(provider_url, provider="test-provider", timeout_cap=10) as pooled:
        yield pooled


def _envelope(deadline: float | None = None) -> Envelope:
    envelope = Envelope(client="VN/GOV/HPG/STP", service="VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1")
    return envelope.with_deadline(deadline) if deadline is not None else envelope


async def test_short_deadline_on_slow_provider_raises_provider_timeout_promptly(
    client: ProviderClient,
) -> None:
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await client.request(_envelope(deadline=0.3), "GET", "/slow")
    assert time.monotonic() - started < 2.5  # the endpoint takes 5 s; the deadline cut it short


async def test_deadline_bounds_the_whole_call_even_when_bytes_keep_trickling(client: ProviderClient) -> None:
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await client.request(_envelope(deadline=0.6), "GET", "/trickle")
    assert time.monotonic() - started < 3.0  # the stream lasts 5 s, each chunk well within the budget


async def test_expired_deadline_fails_without_calling_the_provider(client: ProviderClient) -> None:
    with pytest.raises(ProviderTimeout, match="before"):
        await client.request(_envelope(deadline=0.0), "GET", "/headers")


async def test_timeout_cap_applies_when_envelope_has_no_deadline(
    provider_url: str, connect: _Connect
) -> None:
    async with connect(provider_url, timeout_cap=0.3) as capped:
        assert capped.time_budget(_envelope()) == pytest.approx(0.3)
        with pytest.raises(ProviderTimeout):
            await capped.request(_envelope(), "GET", "/slow")


async def test_outbound_call_carries_child_traceparent_and_transaction_id(client: ProviderClient) -> None:
    envelope = _envelope(deadline=5).model_copy(
        update={"trace": TraceContext(traceparent=f"00-{'a' * 32}-{'b' * 16}-01", tracestate="lgsp=1")}
    )
    answer = await client.request_json(envelope, "GET", "/headers")
    assert isinstance(answer, dict)
    sent = answer["headers"]
    version, trace_id, span_id, flags = sent["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", "a" * 32, "01")
    assert span_id != "b" * 16  # a new span for this hop
    assert TraceContext(traceparent=sent["traceparent"]).trace_id == "a" * 32  # a valid header
    assert sent["tracestate"] == "lgsp=1"
    assert sent[REQUEST_ID_HEADER.lower()] == envelope.correlation_id


async def test_concurrent_calls_use_the_whole_pool_and_never_more_connections(
    provider_url: str, connect: _Connect
) -> None:
    async with connect(provider_url, max_connections=10, timeout_cap=10) as pooled:
        answers = await asyncio.gather(
            *(pooled.request_json(_envelope(deadline=10), "GET", "/held") for _ in range(30))
        )
    ports = {answer["client_port"] for answer in answers if isinstance(answer, dict)}
    assert len(ports) == 10


async def test_connections_a_burst_opened_are_closed_once_the_load_drops_back(provider_url: str) -> None:
    """Idle connections beyond what the load needs expire: the pool follows the load, it does not keep
    its peak (the aiohttp pool reuses the newest connection; httpcore's does so already)."""
    transport = AiohttpTransport(keepalive_expiry=0.3)
    async with ProviderClient(provider_url, provider="p", transport=transport) as pooled:
        burst = await asyncio.gather(
            *(pooled.request_json(_envelope(deadline=10), "GET", "/held") for _ in range(6))
        )
        steady = set()
        for _ in range(12):  # one call at a time for ~0.6 s: twice the keep-alive expiry
            answer = await pooled.request_json(_envelope(deadline=5), "GET", "/headers")
            assert isinstance(answer, dict)
            steady.add(answer["client_port"])
            await asyncio.sleep(0.05)
        again = await asyncio.gather(
            *(pooled.request_json(_envelope(deadline=10), "GET", "/held") for _ in range(2))
        )
    opened = {answer["client_port"] for answer in burst if isinstance(answer, dict)}
    assert len(opened) == 6
    # The steady calls kept to one connection, so the burst's others idled out: a new burst opens anew.
    assert len(steady) == 1
    assert {answer["client_port"] for answer in again if isinstance(answer, dict)} - steady - opened


async def test_a_providers_cookie_is_not_sent_on_the_next_transactions_call(client: ProviderClient) -> None:
    first = await client.request(_envelope(deadline=5), "GET", "/set-cookie")
    assert "session=citizen-A" in first.headers["set-cookie"]
    answer = await client.request_json(_envelope(deadline=5), "GET", "/headers")
    assert isinstance(answer, dict)
    assert "cookie" not in answer["headers"]


async def test_sequential_calls_reuse_one_pooled_connection(client: ProviderClient) -> None:
    ports = set()
    for _ in range(3):
        answer = await client.request_json(_envelope(deadline=5), "GET", "/headers")
        assert isinstance(answer, dict)
        ports.add(answer["client_port"])
    assert len(ports) == 1


async def test_connection_refused_maps_to_provider_unavailable(connect: _Connect) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with connect(f"http://127.0.0.1:{port}", provider="gone") as dead:
        with pytest.raises(ProviderUnavailable, match="could not be reached"):
            await dead.request(_envelope(deadline=5), "GET", "/")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ProviderRejected),
        (404, ProviderRejected),
        (422, ProviderRejected),
        (500, ProviderError),
        (502, ProviderError),
        (504, ProviderError),
        (429, ProviderUnavailable),
        (503, ProviderUnavailable),
    ],
)
async def test_http_status_maps_to_taxonomy_error(
    client: ProviderClient, status: int, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        await client.request(_envelope(deadline=5), "GET", f"/status/{status}")
    assert type(raised.value) is error
    assert f"Lỗi {status} từ hệ thống" in str(raised.value)  # the provider's own message, diacritics kept


@pytest.mark.parametrize("status", [429, 503])
async def test_rate_limit_and_unavailable_carry_retry_after(client: ProviderClient, status: int) -> None:
    with pytest.raises(ProviderUnavailable) as raised:
        await client.request(_envelope(deadline=5), "GET", f"/status/{status}", params={"retry_after": "7"})
    assert raised.value.retry_after == 7.0


async def test_answer_that_is_not_json_maps_to_bad_response(client: ProviderClient) -> None:
    with pytest.raises(BadResponse, match="not JSON"):
        await client.request_json(_envelope(deadline=5), "GET", "/not-json")


async def test_answer_over_the_size_limit_maps_to_bad_response(provider_url: str, connect: _Connect) -> None:
    async with connect(provider_url, max_body_bytes=1000) as small:
        with pytest.raises(BadResponse, match="1000"):
            await small.request(_envelope(deadline=5), "GET", "/big")


async def test_compressed_answer_is_decoded_and_counted_decoded_against_the_limit(
    provider_url: str, connect: _Connect
) -> None:
    async with connect(provider_url) as roomy:
        response = await roomy.request(_envelope(deadline=5), "GET", "/gzip")
        assert response.content == b"y" * 5000
        assert "content-encoding" not in response.headers
    async with connect(provider_url, max_body_bytes=1000) as small:
        with pytest.raises(BadResponse, match="1000"):
            await small.request(_envelope(deadline=5), "GET", "/gzip")


async def _serve_raw(answer: bytes) -> tuple[asyncio.Server, int]:
    """A TCP server that reads a request and writes `answer` (maybe not HTTP), then hangs up."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    "answer",
    [b"", b"garbage that is not HTTP\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"],
    ids=["hang-up", "not-http", "truncated-body"],
)
async def test_broken_answers_map_to_provider_unavailable(answer: bytes, connect: _Connect) -> None:
    server, port = await _serve_raw(answer)
    async with server, connect(f"http://127.0.0.1:{port}", provider="broken") as broken:
        with pytest.raises(ProviderUnavailable, match="broken could not be reached"):
            await broken.request(_envelope(deadline=5), "GET", "/")


async def test_check_status_off_returns_the_error_response(client: ProviderClient) -> None:
    response = await client.request(_envelope(deadline=5), "GET", "/status/500", check_status=False)
    assert response.status_code == 500


def test_non_positive_timeout_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout_cap"):
        ProviderClient("http://127.0.0.1:1", provider="p", timeout_cap=0)


@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
@pytest.mark.parametrize("content", [b"<x/>", "Nguyễn", b"", None])
@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "*/*", "X-Request-Id": "t-1"},
        {"host": "other", "content-length": "4"},
        {"Transfer-Encoding": "chunked"},
    ],
)
def test_a_bytes_request_is_the_one_httpx_builds(
    method: str, content: bytes | str | None, headers: dict[str, str]
) -> None:
    url = httpx.URL("http://[::1]:8101/soap?wsdl")
    built = bytes_request(method, url, headers, content)
    expected = httpx.Request(method, url, content=content, headers=headers)
    assert (built.method, built.url, built.headers.raw) == (
        expected.method,
        expected.url,
        expected.headers.raw,
    )
    assert built.content == expected.content  # loaded as httpx's is: no stream left to read


@pytest.mark.parametrize("method", ["POST", "PUT", "GET"])
@pytest.mark.parametrize(
    "value", [{"HoTen": "Nguyễn Văn An", "so": [1, 2.5, None, True]}, [], "x", 0, {"a": {"b": "\u2028<&>"}}]
)
@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "*/*", "X-Request-Id": "t-1"},
        {"content-type": "application/vnd.x+json", "content-length": "4"},
        {"Transfer-Encoding": "chunked", "Host": "other"},
    ],
)
def test_a_json_request_is_the_one_httpx_builds(method: str, value: object, headers: dict[str, str]) -> None:
    url = httpx.URL("http://127.0.0.1:8102/api/v1/hotich?x=1")
    built = bytes_request(method, url, headers, json_bytes(value), content_type=JSON_TYPE)
    expected = httpx.Request(method, url, json=value, headers=headers)
    assert (built.method, built.url, built.headers.raw) == (
        expected.method,
        expected.url,
        expected.headers.raw,
    )
    assert built.content == expected.content


async def test_a_json_call_sends_what_httpx_would() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = ProviderClient("http://provider.test/api", provider="p", transport=httpx.MockTransport(answer))
    async with client:
        await client.request(_envelope(deadline=5), "POST", "hoso", json={"MaHoSo": "Hồ sơ 1"})
    expected = httpx.Request(
        "POST",
        "http://provider.test/api/hoso",
        json={"MaHoSo": "Hồ sơ 1"},
        headers={**seen[0].headers},
    )
    assert seen[0].content == expected.content == '{"MaHoSo":"Hồ sơ 1"}'.encode()
    assert seen[0].headers["Content-Type"] == "application/json"
    assert list(seen[0].headers.keys())[-2:] == ["content-length", "content-type"]


@pytest.mark.parametrize(
    "raw",
    [
        [(b"date", b"x"), (b"content-length", b"420"), (b"content-type", b"text/xml")],
        [(b"Content-Length", b"9"), (b"server", b"s"), (b"content-length", b"9")],
        [(b"server", b"s")],
        [],
    ],
)
def test_with_length_leaves_the_headers_httpx_would(raw: list[tuple[bytes, bytes]]) -> None:
    expected = httpx.Headers(raw)
    expected["Content-Length"] = "420"
    assert httpx.Headers(with_length(raw, 420)).raw == expected.raw


async def test_the_aiohttp_pool_sends_the_clients_agent_and_accept_headers_once(provider_url: str) -> None:
    async with ProviderClient(provider_url, provider="p", transport=AiohttpTransport()) as pooled:
        answer = await pooled.request_json(_envelope(deadline=5), "GET", "/raw-headers")
    assert isinstance(answer, list)
    sent = [(str(name).lower(), value) for name, value in answer]
    for name in ("user-agent", "accept", "accept-encoding", "host"):
        assert [value for key, value in sent if key == name] == [
            {"user-agent": "lgsp-bus", "accept": "*/*", "accept-encoding": "gzip, deflate"}.get(
                name, provider_url.removeprefix("http://")
            )
        ]


@pytest.mark.parametrize("agent", [None, "conformance-kit/1"])
async def test_the_aiohttp_pool_sends_a_requests_own_user_agent_or_none(
    provider_url: str, agent: str | None
) -> None:
    transport = AiohttpTransport()
    headers = {} if agent is None else {"User-Agent": agent}
    try:
        response = await transport.handle_async_request(
            httpx.Request("GET", f"{provider_url}/raw-headers", headers=headers)
        )
        answer = json.loads(await response.aread())
    finally:
        await transport.aclose()
    agents = [value for name, value in answer if name.lower() == "user-agent"]
    assert agents == ([] if agent is None else [agent])  # never aiohttp's own
