"""CPU per call of the assembled gateway, driven in-process through ASGI (no sockets, no HTTP server).

The gateway is `assemble_gateway` as `lgsp gateway` builds it (both sinks, in-memory store, every
middleware) over a transport that answers each request at once with one pre-encoded echo reply, so
the figure is the gateway's own work: middleware, routing, auth, envelope, sinks. Calls run
`concurrency` at a time; each round's `time.process_time` is divided by its calls, best of `rounds`.

    python -m loadtests.bench.gateway_cpu [--calls 2000] [--rounds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvloop
from fastapi import FastAPI

from bus.catalog import load_catalog
from bus.envelope import Reply
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport.base import Delivery, Handler, Message, Subscription
from loadtests.bench.cases import CLIENT_HEADERS, ECHO_BODY
from loadtests.stack import DEFAULT_CATALOG

ECHO_PATH = "/r1/VN/GOV/HPG/LGSP/Echo/v1"
_REPLY = Reply(
    correlation_id="0" * 32, in_reply_to="0" * 32, ok=True, payload=json.loads(ECHO_BODY), worker="bench"
)


class InstantEchoTransport:
    """A transport whose `request` answers at once with the same echo reply; nothing else is used."""

    def __init__(self) -> None:
        self._reply = Message(body=_REPLY.model_dump_json().encode())

    async def connect(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def request(self, queue: str, message: Message, timeout: float) -> Message:
        """The canned echo reply."""
        return self._reply

    async def publish(self, queue: str, message: Message) -> None:
        """Not used by a synchronous call."""
        raise NotImplementedError

    async def reply(self, address: str, message: Message) -> None:
        """Not used by a gateway."""
        raise NotImplementedError

    async def publish_delayed(self, queue: str, message: Message, delay: float) -> None:
        """Not used by a synchronous call."""
        raise NotImplementedError

    async def get(self, queue: str) -> Delivery | None:
        """Not used by a synchronous call."""
        raise NotImplementedError

    async def consume(
        self, queue: str, handler: Handler, *, prefetch: int = 16, max_length: int | None = None
    ) -> Subscription:
        """Not used by a synchronous call."""
        raise NotImplementedError


def _scope(path: str, body: bytes) -> dict[str, Any]:
    headers = [(k.lower().encode(), v.encode()) for k, v in CLIENT_HEADERS.items()]
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: FastAPI, path: str, body: bytes) -> int:
    """One POST through the ASGI app; its status."""
    sent = False
    status = 0

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a client that stays connected
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(path, body), receive, send)
    return status


async def measure(app: FastAPI, calls: int, concurrency: int, one: Callable[[], Awaitable[int]]) -> float:
    """CPU-µs per call over `calls` calls, `concurrency` at a time; raises on any non-200."""
    remaining = calls
    statuses: list[int] = []

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            statuses.append(await one())

    started = time.process_time()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    spent = time.process_time() - started
    failed = [s for s in statuses if s != 200]
    if failed:
        raise RuntimeError(f"{len(failed)} of {calls} calls failed, first with HTTP {failed[0]}")
    return 1e6 * spent / calls


async def run(calls: int, rounds: int, concurrency: int) -> list[float]:
    """Every round's CPU-µs per call, after one warm-up round."""
    catalog = load_catalog(DEFAULT_CATALOG)
    app = assemble_gateway(catalog, InstantEchoTransport(), BusSettings(redis_url=None, amqp_url=None))
    body = ECHO_BODY.encode()
    figures = []
    async with app.router.lifespan_context(app):
        await measure(app, calls // 4, concurrency, lambda: call(app, ECHO_PATH, body))
        for _ in range(rounds):
            figures.append(await measure(app, calls, concurrency, lambda: call(app, ECHO_PATH, body)))
    return figures


def main() -> None:
    """Print each round's figure and the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    figures = uvloop.run(run(args.calls, args.rounds, args.concurrency))  # as uvicorn runs the gateway
    rounds = " ".join(f"{f:.0f}" for f in figures)
    print(f"gateway in-process: best {min(figures):.1f} CPU-µs/call (rounds: {rounds})")


if __name__ == "__main__":
    main()
