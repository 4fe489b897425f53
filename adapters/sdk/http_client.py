"""The pooled outbound HTTP client every adapter shares with its calls.

One `ProviderClient` per adapter (one connection pool, keep-alive). Each call is bounded by the
envelope's deadline, carries the trace context (`traceparent`) and the transaction id (`X-Request-Id`),
and fails with an error of the taxonomy, never with an httpx or aiohttp exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from json import dumps as json_dumps
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from adapters.sdk.aiohttp_transport import AiohttpTransport, BodyTooLarge, loaded_response
from adapters.sdk.provider_errors import error_from_transport, json_body, raise_for_status
from bus.envelope import Envelope
from bus.errors import BadResponse, ProviderTimeout

REQUEST_ID_HEADER = "X-Request-Id"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
# What httpx's own client would send; bodies are decoded by httpx whichever transport fetched them.
_URL_MEMO_LIMIT = 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # httpx sends Content-Length: 0 when they have none
JSON_TYPE = "application/json"
DEFAULT_HEADERS = {"Accept": "*/*", "Accept-Encoding": "gzip, deflate", "User-Agent": "lgsp-bus"}


def _with_trailing_slash(url: httpx.URL) -> httpx.URL:
    return url if url.raw_path.endswith(b"/") else url.copy_with(raw_path=url.raw_path + b"/")


def outbound_headers(request: Envelope) -> dict[str, str]:
    """Headers that tie an outbound call to its transaction: a child span and the transaction id."""
    # The child's header alone: building its TraceContext cost three times the header's own.
    headers = {"traceparent": request.trace.child_traceparent(), REQUEST_ID_HEADER: request.correlation_id}
    if request.trace.tracestate:
        headers["tracestate"] = request.trace.tracestate
    return headers


def json_bytes(value: Any) -> bytes:
    """`value` as httpx's `json=` encodes it (compact, UTF-8, no NaN)."""
    return json_dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def bytes_request(
    method: str,
    url: httpx.URL,
    headers: Mapping[str, str],
    content: bytes | str | None,
    *,
    content_type: str | None = None,
) -> httpx.Request:
    """The request `httpx.Request(method, url, content=content, headers=headers)` makes, with the `Host`
    and `Content-Length` it would add, built without its content-encoding step (a quarter of a call's
    own cost in the client): there is nothing to encode in bytes. With `content_type` (and a body), its
    `Content-Type` too, where httpx's `json=` puts it when the caller gives none.
    """
    body = content.encode() if isinstance(content, str) else content or b""
    given = {name.lower() for name in headers}
    first = {} if "host" in given else {"Host": url.netloc.decode("ascii")}
    last = {}
    # In httpx's order: a body's length (and type) after the caller's headers, the empty one before them.
    if body and "content-length" not in given:
        last["Content-Length"] = str(len(body))
    elif not body and method in _BODY_METHODS and not {"content-length", "transfer-encoding"} & given:
        first["Content-Length"] = "0"
    if body and content_type is not None and "content-type" not in given:
        last["Content-Type"] = content_type
    request = httpx.Request(method, url, headers={**first, **headers, **last}, stream=httpx.ByteStream(body))
    request.read()  # loaded as httpx loads `content=`: sending it reads no stream
    return request


class ProviderClient:
    """A pooled client for one provider; per-call time-out is the envelope's time left.

    Requests and responses are httpx's; the connections are an `AiohttpTransport`'s unless a
    transport is given (a test's MockTransport or ASGITransport, served in-process). An HTTPS
    provider's certificate is verified against `ca_bundle` (PEM) if given, else the system's CAs.
    """

    def __init__(
        self,
        base_url: str,
        *,
        provider: str,
        timeout_cap: float = 30.0,
        max_connections: int = 100,
        keepalive_expiry: float = 30.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: Path | None = None,
    ) -> None:
        if timeout_cap <= 0:
            raise ValueError(f"timeout_cap must be positive, got {timeout_cap}")
        self.provider = provider
        self.timeout_cap = timeout_cap
        self.max_body_bytes = max_body_bytes
        self._base_url = _with_trailing_slash(httpx.URL(base_url))
        self._headers = {**DEFAULT_HEADERS, **(headers or {})}
        self._urls: dict[str, httpx.URL] = {}
        self._transport = transport or AiohttpTransport(
            max_connections=max_connections, keepalive_expiry=keepalive_expiry, ca_bundle=ca_bundle
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pool; call once when the adapter stops."""
        await self._transport.aclose()

    def time_budget(self, request: Envelope) -> float:
        """Seconds this call may take: the envelope's time left, capped by `timeout_cap`."""
        return min(self.timeout_cap, request.seconds_left(default=self.timeout_cap))

    async def request(
        self,
        request: Envelope,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        check_status: bool = True,
    ) -> httpx.Response:
        """Send one call for `request`; non-2xx raises the taxonomy error unless `check_status` is off."""
        budget = self.time_budget(request)
        if budget <= 0:
            expired = ProviderTimeout(f"deadline passed before {self.provider} was called")
            expired.provider_called = False  # not held against the provider's circuit breaker
            raise expired
        all_headers = {**self._headers, **outbound_headers(request), **(headers or {})}
        if json is None and data is None and params is None:
            outbound = bytes_request(method, self._url(url), all_headers, content)
        elif content is None and data is None and params is None:
            # What httpx's `json=` sends, at a third of its cost (its request building is generic).
            body = json_bytes(json)
            outbound = bytes_request(method, self._url(url), all_headers, body, content_type=JSON_TYPE)
        else:
            outbound = httpx.Request(
                method,
                self._url(url),
                json=json,
                content=content,
                data=data,
                params=params,
                headers=all_headers,
            )
        try:
            async with asyncio.timeout(budget):
                response = await self._send(outbound)
        except TimeoutError as exc:
            raise ProviderTimeout(f"{self.provider} did not answer within {budget:.2f}s") from exc
        except httpx.TransportError as exc:
            raise error_from_transport(exc, self.provider) from exc
        except httpx.DecodingError as exc:
            raise BadResponse(f"{self.provider} answered an unreadable response: {exc}") from exc
        if check_status:
            raise_for_status(response, self.provider)
        return response

    async def request_json(self, request: Envelope, method: str, url: str, **kwargs: Any) -> object:
        """Like `request`, then decode the JSON body (BadResponse when it is not JSON)."""
        response = await self.request(request, method, url, **kwargs)
        return json_body(response, self.provider)

    def _url(self, url: str) -> httpx.URL:
        """`url` as given when absolute, else relative to the base URL's path (parsed once per path)."""
        known = self._urls.get(url)
        if known is not None:
            return known
        target = httpx.URL(url)
        if target.is_relative_url:
            target = self._base_url.copy_with(raw_path=self._base_url.raw_path + target.raw_path.lstrip(b"/"))
        if len(self._urls) >= _URL_MEMO_LIMIT:
            self._urls.clear()  # paths with ids in them: start again rather than grow
        self._urls[url] = target
        return target

    async def _send(self, outbound: httpx.Request) -> httpx.Response:
        if isinstance(self._transport, AiohttpTransport):
            try:
                response = await self._transport.fetch(outbound, self.max_body_bytes)
            except BodyTooLarge:
                raise self._too_large() from None
            if response.is_stream_consumed:
                return response
        else:
            response = await self._transport.handle_async_request(outbound)
        return await self._read_limited(response, outbound)

    def _too_large(self) -> BadResponse:
        return BadResponse(f"{self.provider} answered more than {self.max_body_bytes} bytes")

    async def _read_limited(self, response: httpx.Response, outbound: httpx.Request) -> httpx.Response:
        """The streamed `response` read (decoded) within the size limit, as a read response."""
        try:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise BadResponse(f"{self.provider} answered {declared} bytes (limit {self.max_body_bytes})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.max_body_bytes:
                    raise self._too_large()
        finally:
            await response.aclose()
        # The body is already decoded (gzip bombs count against the limit): say so in the headers.
        headers = response.headers  # the streamed response is discarded: its headers are reused
        headers.pop("Content-Encoding", None)
        headers["Content-Length"] = str(len(body))
        return loaded_response(response.status_code, headers, bytes(body), outbound, response.extensions)
