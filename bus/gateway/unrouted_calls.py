"""Every `/r1` call leaves a transaction record, even one answered before the ServiceRouter saw it.

Header limits and mutual TLS refuse calls in ASGI middleware, ahead of the router that records calls;
an exception escaping the app would be answered outside it. `UnroutedCallRecorder` wraps them all: a
call it sees answered that the router did not take (`call_facts.is_recorded`) gets its record here,
from the request's headers and the answer sent, for every sink (the transaction log; monitoring,
whose metrics count it by fault type). Such an answer also carries the call's `X-Road-Id`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bus.envelope import new_id, utc_now
from bus.errors import InternalError
from bus.gateway.access import CLIENT_HEADER
from bus.gateway.call_facts import CallFacts, is_recorded
from bus.gateway.requests import MAX_HEADER_VALUE, TRANSACTION_HEADER, caller_transaction_id
from bus.gateway.routing import error_response
from bus.gateway.shortcut import SERVICE_PREFIX
from bus.transaction import TransactionSink

log = logging.getLogger(__name__)

_TRANSACTION_HEADER = TRANSACTION_HEADER.encode("latin-1")


def call_path(scope: Scope) -> str:
    """The request's path below the app's root path (where the gateway is mounted, if it is)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def is_service_call(scope: Scope) -> bool:
    """Whether `scope` is an HTTP request to `/r1` (a service call, whatever its method)."""
    path = call_path(scope)
    return scope["type"] == "http" and (path.startswith(SERVICE_PREFIX) or path == SERVICE_PREFIX[:-1])


def call_facts_of(scope: Scope, request_in: datetime) -> CallFacts:
    """What the request itself tells of a call no router has read, received at `request_in`: its id,
    client, service and method (caller text cut to MAX_HEADER_VALUE characters; an ill-formed
    `X-Road-Id` replaced by a new id)."""
    headers = {
        name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope.get("headers", ()))
    }
    client = headers.get(CLIENT_HEADER)
    path = call_path(scope)
    return CallFacts(
        transaction_id=caller_transaction_id(headers) or new_id(),
        request_in=request_in,
        method=str(scope.get("method", ""))[:16],
        client=None if client is None else client[:MAX_HEADER_VALUE],
        service=path[len(SERVICE_PREFIX) :][:MAX_HEADER_VALUE] or None,
    )


class UnroutedCallRecorder:
    """ASGI middleware recording the `/r1` calls answered without the router (mount it outside every
    middleware that may refuse a call)."""

    def __init__(self, app: ASGIApp, *, sinks: Sequence[TransactionSink]) -> None:
        self.app = app
        self.sinks = list(sinks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the call on; record it here when it was answered without the router."""
        if not is_service_call(scope):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared by the copies inner middleware make of the scope
        received = utc_now()
        # Read from the headers only for a call the router did not take: not on every call's path.
        unrouted: list[CallFacts] = []

        def facts() -> CallFacts:
            if not unrouted:
                unrouted.append(call_facts_of(scope, received))
            return unrouted[0]

        answer = _Answer()

        async def watched(message: Message) -> None:
            if not is_recorded(scope):
                answer.see(message, facts().transaction_id)
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if is_recorded(scope) or answer.status is not None:
                raise  # the router's own failure, or an answer already begun: the server's to handle
            log.exception("unexpected failure serving %s %s", facts().method, scope["path"][:128])
            await error_response(InternalError("the bus failed to serve this call"), facts().transaction_id)(
                scope, receive, watched
            )
        if answer.status is not None and not is_recorded(scope):
            record = facts().record(answer.status, bytes(answer.body))
            for sink in self.sinks:
                await sink.record(record)


class _Answer:
    """The status and body of an answer as it is sent, given the call's `X-Road-Id` when it has none."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.body = bytearray()

    def see(self, message: Message, transaction_id: str) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = list(message.get("headers", ()))
            if not any(name.lower() == _TRANSACTION_HEADER for name, _ in headers):
                message["headers"] = [*headers, (_TRANSACTION_HEADER, transaction_id.encode("latin-1"))]
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
