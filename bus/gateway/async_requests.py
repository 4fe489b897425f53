"""`Prefer: respond-async`: answer 202 at once, finish the call in the background, keep its state.

The state lives in the shared store under the calling client's id, so `GET /transactions/{id}` works
on any replica and another client cannot even learn that the transaction exists. An optional
`X-Callback-Url` receives the final state by POST, with bounded retries.

A callback URL is a request to make the platform send a POST on the caller's behalf, so it is checked
before anything is accepted (SSRF): http or https only, no credentials, and every address its host
resolves to must be public, unless it lies in a network the deployment allows
(`LGSP_GATEWAY_CALLBACK_ALLOWED_NETWORKS`; `lgsp run` allows loopback, where its demo receivers listen).
The check is repeated just before each POST, so a name re-pointed after acceptance is caught then, and
the POST connects to the address that check approved (pinned.py), without resolving the name again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, HttpUrl, JsonValue, TypeAdapter, ValidationError

from bus.envelope import utc_now
from bus.errors import BadRequest, ClientError, ErrorBody, InternalError
from bus.gateway.access import AccessControl
from bus.gateway.durable_outcome import done_from, resolved
from bus.gateway.pinned import pinned_target
from bus.reliability.dedupe import CompletedWork
from bus.store import Store

log = logging.getLogger(__name__)

PREFER_HEADER = "prefer"
CALLBACK_HEADER = "x-callback-url"
MAX_CALLBACK_URL = 2048
RESOLVE_TIMEOUT = 5.0
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class TransactionState(BaseModel):
    """What `GET /transactions/{id}` and a callback receive.

    `message_id` and `resolve_by` let any gateway resolve the state from the bus's own records when the
    gateway that accepted the call is gone (durable_outcome.py); "unknown" is read, never stored."""

    transaction_id: str
    client: str
    service: str
    state: Literal["pending", "done", "unknown"]
    status: int | None = None
    result: JsonValue = None
    error: ErrorBody | None = None
    accepted_at: datetime
    finished_at: datetime | None = None
    message_id: str | None = None
    resolve_by: datetime | None = None


class UnknownTransaction(ClientError):
    """No such transaction for this client (never made, expired, or another client's)."""

    type = "Client.UnknownTransaction"
    status = 404


def wants_async(prefer: str | None) -> bool:
    """Whether a `Prefer` header (RFC 7240) asks for respond-async."""
    if not prefer:
        return False
    names = (part.split(";")[0].split("=")[0].strip().lower() for part in prefer.split(","))
    return "respond-async" in names


def callback_url(value: str | None) -> str | None:
    """The validated callback URL (http or https, with a host), or BadRequest naming the header."""
    if value is None:
        return None
    if len(value) > MAX_CALLBACK_URL:
        raise BadRequest(f"header {CALLBACK_HEADER!r} is longer than {MAX_CALLBACK_URL} characters")
    try:
        url = _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise BadRequest(f"header {CALLBACK_HEADER!r} must be an http(s) URL, got {value!r}") from exc
    return str(url)


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IP literals resolve to themselves, without DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class CallbackPolicy:
    """Which callback URLs the gateway POSTs to: public addresses, plus networks the deployment allows."""

    def __init__(self, allowed: Iterable[IpNetwork] = (), resolver: Resolver = resolve_host) -> None:
        self.allowed = tuple(allowed)
        self._resolve = resolver

    async def check(self, url: str) -> list[IpAddress]:
        """The addresses `url`'s host resolves to, every one permitted; BadRequest, naming the reason,
        unless `url` may be called back."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest(f"header {CALLBACK_HEADER!r} must be an http(s) URL, got {url!r}")
        if parts.username is not None or parts.password is not None:
            raise BadRequest(f"header {CALLBACK_HEADER!r} must not carry credentials")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                addresses = await self._resolve(parts.hostname, port)
        except (OSError, TimeoutError) as exc:
            raise BadRequest(f"callback host {parts.hostname!r} does not resolve") from exc
        if not addresses:
            raise BadRequest(f"callback host {parts.hostname!r} does not resolve")
        checked = [_plain_address(text) for text in addresses]
        for address in checked:
            if not self._permits(address):
                raise BadRequest(
                    f"callback host {parts.hostname!r} resolves to {address}, a private, loopback, "
                    "link-local or reserved address this gateway does not call back"
                )
        return checked

    def _permits(self, address: IpAddress) -> bool:
        if any(address in network for network in self.allowed):
            return True
        return address.is_global and not address.is_multicast


def _plain_address(text: str) -> IpAddress:
    # getaddrinfo may append an IPv6 zone ("fe80::1%eth0"); an IPv4-mapped IPv6 address is its IPv4 one.
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class AsyncChoice:
    """Whether the caller asked for respond-async, and where to POST the result."""

    respond_async: bool
    callback_url: str | None


def async_choice(prefer: str | None, callback: str | None) -> AsyncChoice:
    """The caller's choice from its `Prefer` and `X-Callback-Url` headers; BadRequest when inconsistent."""
    respond_async = wants_async(prefer)
    if callback is not None and not respond_async:
        raise BadRequest(f"header {CALLBACK_HEADER!r} needs 'Prefer: respond-async'")
    return AsyncChoice(respond_async, callback_url(callback))


def state_key(client: str, transaction_id: str) -> str:
    """Where a transaction's state lives: under its client, so others cannot reach it."""
    return f"tx:{client}|{transaction_id}"


class AsyncCalls:
    """Runs accepted calls in the background, records their state, and calls back when done."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: float,
        callback_attempts: int = 3,
        callback_timeout: float = 5.0,
        callback_backoff: float = 0.5,
        http: httpx.AsyncClient | None = None,
        callbacks: CallbackPolicy | None = None,
    ) -> None:
        self.store = store
        self.completed = CompletedWork(store)
        self.callbacks = CallbackPolicy() if callbacks is None else callbacks
        self.ttl = ttl
        self.callback_attempts = callback_attempts
        self.callback_backoff = callback_backoff
        self._http = httpx.AsyncClient(timeout=callback_timeout) if http is None else http
        self._owns_http = http is None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """Background calls not yet finished."""
        return len(self._tasks)

    async def check_callback(self, url: str | None) -> None:
        """BadRequest unless the callback URL (if any) is one this gateway may POST to."""
        if url is not None:
            await self.callbacks.check(url)

    async def accept(self, state: TransactionState) -> None:
        """Record a new pending transaction; BadRequest if this client already used the id."""
        key = state_key(state.client, state.transaction_id)
        if not await self.store.set_if_absent(key, state.model_dump_json().encode(), ttl=self.ttl):
            raise BadRequest(f"transaction id {state.transaction_id!r} already used; send a new X-Road-Id")

    async def accept_late(self, state: TransactionState) -> None:
        """Record a pending transaction the bus may already be working on (a request whose publish is
        unconfirmed): written even during a store outage (held, then stored), never refused."""
        await self.store.set(
            state_key(state.client, state.transaction_id), state.model_dump_json().encode(), ttl=self.ttl
        )

    def run(
        self,
        state: TransactionState,
        call: Callable[[], Awaitable[tuple[int, JsonValue, ErrorBody | None]]],
        callback: str | None,
    ) -> None:
        """Finish `call` in the background: store its outcome, then POST it to `callback`."""
        task = asyncio.create_task(self._finish(state, call, callback), name=f"async-{state.transaction_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(
        self,
        state: TransactionState,
        call: Callable[[], Awaitable[tuple[int, JsonValue, ErrorBody | None]]],
        callback: str | None,
    ) -> None:
        try:
            status, result, error = await call()
        except Exception as exc:
            # A bug must still end the transaction, or its caller would poll "pending" until it expires.
            log.exception("async call %s failed inside the gateway", state.transaction_id)
            failure = InternalError(f"the gateway failed to finish the call: {type(exc).__name__}")
            status, result, error = failure.status, None, failure.body(state.transaction_id)
        outcome = {"status": status, "result": result, "error": error, "finished_at": utc_now()}
        done = state.model_copy(update={"state": "done", **outcome})
        if error is not None and state.message_id is not None:
            # No reply reached this gateway, yet the worker may have recorded one: that is the outcome.
            recorded = await self.completed.reply_for(state.message_id)
            done = done if recorded is None else done_from(state, recorded)
        key = state_key(done.client, done.transaction_id)
        await self.store.set(key, done.model_dump_json().encode(), ttl=self.ttl)
        if callback is not None:
            await self._call_back(callback, done)

    async def _call_back(self, url: str, state: TransactionState) -> None:
        try:
            checked = await self.callbacks.check(url)  # again: the name may point elsewhere since acceptance
        except BadRequest as refused:
            log.error("callback for %s not sent: %s", state.transaction_id, refused)
            return
        target = pinned_target(url, checked[0])  # connect to what was checked, not to a new DNS answer
        body = state.model_dump_json().encode()
        headers = {"content-type": "application/json", "x-road-id": state.transaction_id, **target.headers}
        for attempt in range(1, self.callback_attempts + 1):
            try:
                response = await self._http.post(
                    target.url, content=body, headers=headers, extensions=target.extensions
                )
                if response.is_success:
                    return
                reason = f"status {response.status_code}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            log.warning("callback %s for %s failed (try %d): %s", url, state.transaction_id, attempt, reason)
            if attempt < self.callback_attempts:
                await asyncio.sleep(self.callback_backoff * 2 ** (attempt - 1))
        log.error("callback %s for %s given up after %d attempts", url, state.transaction_id, attempt)

    async def state(self, client: str, transaction_id: str) -> TransactionState | None:
        """The transaction's state, if it belongs to `client` and is still kept; a pending one as the
        bus's records tell it when its gateway no longer follows it (durable_outcome.py)."""
        raw = await self.store.get(state_key(client, transaction_id))
        if raw is None:
            return None
        return await resolved(TransactionState.model_validate_json(raw), self.completed)

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` s for background calls, cancel the rest; how many were cancelled.

        A cancelled call's Location is not lost: it resolves from the worker's record, or as outcome
        unknown past its horizon, on any gateway sharing the store."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        left = list(self._tasks)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)
            log.warning(
                "%d accepted call(s) left unfinished at shutdown: their Location resolves from the "
                "worker's record, or as outcome unknown past its horizon",
                len(left),
            )
        if self._owns_http:
            await self._http.aclose()
        return len(left)


def transactions_router(access: AccessControl, calls: AsyncCalls) -> APIRouter:
    """`GET /transactions/{id}`: the state of an async call, for the client that made it only."""
    router = APIRouter(tags=["routing"])

    @router.get("/transactions/{transaction_id}")
    async def transaction_state(transaction_id: str, request: Request) -> JSONResponse:
        """State (`pending` or `done`), status, and result or error of an accepted async call."""
        client = await access.authenticate(request.headers)
        state = await calls.state(str(client.id), transaction_id)
        if state is None:
            # The same answer for "never existed", "expired" and "another client's".
            raise UnknownTransaction(f"no transaction {transaction_id!r} for client {client.id}")
        return JSONResponse(state.model_dump(mode="json"))

    return router
