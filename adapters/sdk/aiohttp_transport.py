"""An httpx transport whose connections are aiohttp's: the adapters keep httpx's request and response
types (and tests keep injecting httpx's MockTransport or ASGITransport) while the wire work costs
what aiohttp costs, about a quarter of httpcore's per call on this project's bench.

aiohttp's failures are raised as the httpx exceptions of the same meaning, so one mapping
(`adapters.sdk.provider_errors.error_from_transport`) serves every transport.
"""

from __future__ import annotations

import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ConnectionKey
from yarl import URL

_READ_CHUNK = 64 * 1024
_URL_MEMO_LIMIT = 1024
# aiohttp adds its own User-Agent to a request without one; this transport sends none instead.
_NO_AUTO_USER_AGENT = ("User-Agent",)


class NewestFirstConnector(aiohttp.TCPConnector):
    """aiohttp's connector, handing out the most recently released idle connection first.

    aiohttp (3.10+) hands out its oldest idle connection, so under a steady load every connection a
    burst opened is reused round-robin within the keep-alive expiry and the pool never shrinks back:
    a worker's sockets crept up by the peaks it had met (29 to 35 in a 12-minute soak, bounded only by
    `limit` per adapter). Reused newest first, the connections a burst added sit idle and are closed
    after `keepalive_timeout`, so the pool follows the load.
    """

    def _release(self, key: ConnectionKey, protocol: ResponseHandler, *, should_close: bool = False) -> None:
        super()._release(key, protocol, should_close=should_close)
        idle = self._conns.get(key)
        # Released last, taken first: aiohttp takes from the left of the deque.
        if isinstance(idle, deque) and idle and idle[-1][0] is protocol:
            idle.rotate(1)


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise aiohttp's errors as httpx's (the most specific first)."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.ServerTimeoutError as exc:
        raise httpx.ReadTimeout(str(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:  # payload and OS errors while reading or writing
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc


class BodyTooLarge(Exception):
    """The answer's body grew past the reader's limit while it was read."""


def loaded_response(
    status: int, headers: httpx.Headers, body: bytes, request: httpx.Request, extensions: dict[str, Any]
) -> httpx.Response:
    """A response whose (already decoded) body is read: `.content`, `.text` and `.json()` work at once.

    httpx's `Response(content=...)` runs the body through its decoder and chunker machinery again, a
    cost per call as large as the rest of the response; setting the read content is what its own
    `read()` ends with.
    """
    response = httpx.Response(
        status, headers=headers, stream=httpx.ByteStream(body), request=request, extensions=extensions
    )
    response._content = body  # what Response.read() stores
    response.is_stream_consumed = True
    response.is_closed = True
    return response


def with_length(raw: Iterable[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    """`raw` headers with `Content-Length: length` in the first one's place (its others dropped), or
    last: what `httpx.Headers(raw)["Content-Length"] = str(length)` leaves, at a third of its cost."""
    written: list[tuple[bytes, bytes]] = []
    placed = False
    for name, value in raw:
        if name.lower() == b"content-length":
            if not placed:
                written.append((b"Content-Length", str(length).encode()))
                placed = True
        else:
            written.append((name, value))
    if not placed:
        written.append((b"Content-Length", str(length).encode()))
    return written


class _AiohttpBody(httpx.AsyncByteStream):
    """The response body, read from aiohttp as it arrives; closing releases the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for chunk in self._response.content.iter_chunked(_READ_CHUNK):
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


def _extensions(response: aiohttp.ClientResponse) -> dict[str, Any]:
    return {"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive pool of at most `max_connections`; no cookies, redirects or decompression
    (httpx decodes the body, so a compressed answer still counts decoded against the caller's limit).

    The session is made on first use, inside the event loop that uses it. HTTPS peers are always
    verified: against `ca_bundle` (a PEM file) when given, else the system's trusted CAs.
    """

    def __init__(
        self, *, max_connections: int = 100, keepalive_expiry: float = 30.0, ca_bundle: Path | None = None
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        # Made now, not per session: a missing or unreadable bundle fails when the adapter is built.
        self.ssl_context = ssl.create_default_context(cafile=None if ca_bundle is None else str(ca_bundle))
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        connector = NewestFirstConnector(
            limit=self.max_connections,
            limit_per_host=0,
            keepalive_timeout=self.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None),  # the caller bounds each call by its deadline
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on a pooled connection; the response's body streams from it."""
        response = await self._send(request)
        return self._streamed(response, request)

    async def fetch(self, request: httpx.Request, max_body_bytes: int) -> httpx.Response:
        """Send `request` and, when its answer is not compressed, read the body whole (BodyTooLarge past
        `max_body_bytes`) without httpx's stream decoding; else (or when the declared length is over the
        limit) the response streams as `handle_async_request`'s does, for the caller to read and decode.
        """
        response = await self._send(request)
        encoding = response.headers.get("Content-Encoding")
        declared = response.content_length
        if (encoding and encoding != "identity") or (declared is not None and declared > max_body_bytes):
            return self._streamed(response, request)
        try:
            with _as_httpx_errors(request):
                body = await self._read(response, max_body_bytes)
        finally:
            response.release()
        headers = httpx.Headers(with_length(response.raw_headers, len(body)))
        return loaded_response(response.status, headers, body, request, _extensions(response))

    async def _send(self, request: httpx.Request) -> aiohttp.ClientResponse:
        if self._session is None:
            self._session = self._open_session()
        body = await request.aread()
        raw = request.headers.raw
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
        # A session-wide skip list costs aiohttp two header copies per request; only a request without
        # a User-Agent of its own needs it (the provider client's always carry one).
        has_agent = any(name.lower() == b"user-agent" for name, _ in raw)
        with _as_httpx_errors(request):
            return await self._session.request(
                request.method,
                self._url(str(request.url)),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                skip_auto_headers=None if has_agent else _NO_AUTO_USER_AGENT,
            )

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, max_body_bytes: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while chunk := await response.content.readany():
            size += len(chunk)
            if size > max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    @staticmethod
    def _streamed(response: aiohttp.ClientResponse, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_AiohttpBody(response, request),
            request=request,
            extensions=_extensions(response),
        )

    def _url(self, url: str) -> URL:
        """`url` as aiohttp's URL, parsed once per distinct URL (bounded)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _URL_MEMO_LIMIT:
                self._urls.clear()
            parsed = self._urls[url] = URL(url, encoded=True)
        return parsed

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
