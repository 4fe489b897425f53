"""The pooled outbound HTTP client every adapter shares with its calls.

One `ProviderClient` per adapter (one connection pool, keep-alive). Each call is bounded by the
envelope's deadline, carries the trace context (`traceparent`) and the transaction id (`X-Request-Id`),
and fails with an error of the taxonomy, never with an httpx exception.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from http.cookiejar import CookieJar
from types import TracebackType
from typing import Any, Self

import httpx

from adapters.sdk.provider_errors import error_from_transport, json_body, raise_for_status
from bus.envelope import Envelope
from bus.errors import BadResponse, ProviderTimeout

REQUEST_ID_HEADER = "X-Request-Id"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
CONNECTIONS_PER_SHARD = 8


def outbound_headers(request: Envelope) -> dict[str, str]:
    """Headers that tie an outbound call to its transaction: a child span and the transaction id."""
    trace = request.trace.child()
    headers = {"traceparent": trace.traceparent, REQUEST_ID_HEADER: request.correlation_id}
    if trace.tracestate:
        headers["tracestate"] = trace.tracestate
    return headers


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing: provider calls are stateless."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Ignore the response's Set-Cookie headers."""


class ProviderClient:
    """A pooled httpx client for one provider; per-call time-out is the envelope's time left."""

    def __init__(
        self,
        base_url: str,
        *,
        provider: str,
        timeout_cap: float = 30.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 30.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if timeout_cap <= 0:
            raise ValueError(f"timeout_cap must be positive, got {timeout_cap}")
        self.provider = provider
        self.timeout_cap = timeout_cap
        self.max_body_bytes = max_body_bytes
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        # httpcore walks every pooled connection (and every idle pair) on each request and response,
        # so its CPU per call grows with the pool: several small pools keep each walk short.
        # A transport given by the caller (a test's MockTransport or ASGITransport) has no such pool.
        shards = math.ceil(max_connections / CONNECTIONS_PER_SHARD) if transport is None else 1
        self._shard_limit = math.ceil(max_connections / shards)
        self._clients = [
            httpx.AsyncClient(
                base_url=base_url,
                headers=dict(headers or {}),
                limits=httpx.Limits(
                    max_connections=self._shard_limit,
                    max_keepalive_connections=math.ceil(max_keepalive_connections / shards),
                    keepalive_expiry=keepalive_expiry,
                ),
                transport=transport,
                follow_redirects=False,
                # Each phase gets the cap; asyncio.timeout in `request` bounds the whole call by the
                # envelope's deadline, so no Timeout object is built per call.
                timeout=timeout_cap,
                # One client serves every transaction: a provider's Set-Cookie must not ride along on
                # the next citizen's call, and the jar's bookkeeping costs on every response.
                cookies=_NoCookies(),
            )
            for _ in range(shards)
        ]
        self._in_flight = [0] * shards

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pool; call once when the adapter stops."""
        for client in self._clients:
            await client.aclose()

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
            raise ProviderTimeout(f"deadline passed before {self.provider} was called")
        shard = self._pick_shard()
        client = self._clients[shard]
        outbound = client.build_request(
            method,
            url,
            json=json,
            content=content,
            data=data,
            params=params,
            headers={**outbound_headers(request), **headers} if headers else outbound_headers(request),
        )
        try:
            # httpx times each phase separately; asyncio.timeout bounds the whole call by the deadline.
            self._in_flight[shard] += 1
            async with asyncio.timeout(budget):
                response = await self._send(client, outbound)
        except TimeoutError as exc:
            raise ProviderTimeout(f"{self.provider} did not answer within {budget:.2f}s") from exc
        except httpx.TransportError as exc:
            raise error_from_transport(exc, self.provider) from exc
        except (httpx.DecodingError, httpx.TooManyRedirects) as exc:
            raise BadResponse(f"{self.provider} answered an unreadable response: {exc}") from exc
        finally:
            self._in_flight[shard] -= 1
        if check_status:
            raise_for_status(response, self.provider)
        return response

    async def request_json(self, request: Envelope, method: str, url: str, **kwargs: Any) -> object:
        """Like `request`, then decode the JSON body (BadResponse when it is not JSON)."""
        response = await self.request(request, method, url, **kwargs)
        return json_body(response, self.provider)

    def _pick_shard(self) -> int:
        """The first pool with a free connection (sequential calls stay on one), else the least busy."""
        for shard, busy in enumerate(self._in_flight):
            if busy < self._shard_limit:
                return shard
        return min(range(len(self._in_flight)), key=self._in_flight.__getitem__)

    async def _send(self, client: httpx.AsyncClient, outbound: httpx.Request) -> httpx.Response:
        response = await client.send(outbound, stream=True)
        try:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise BadResponse(f"{self.provider} answered {declared} bytes (limit {self.max_body_bytes})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.max_body_bytes:
                    raise BadResponse(f"{self.provider} answered more than {self.max_body_bytes} bytes")
        finally:
            await response.aclose()
        # The body is already decoded (gzip bombs count against the limit): say so in the headers.
        headers = response.headers.copy()
        headers.pop("Content-Encoding", None)
        headers["Content-Length"] = str(len(body))
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=outbound,
            extensions=response.extensions,
        )
