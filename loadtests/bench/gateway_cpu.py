"""CPU per call of the assembled gateway, driven in-process through ASGI (no sockets, no HTTP server).

The gateway is `assemble_gateway` as `lgsp gateway` builds it (both sinks, every middleware; stores
in memory, or in Redis with `--redis-url`) over a transport that answers each request at once with one
pre-encoded echo reply, so the figure is the gateway's own work: middleware, routing, auth, envelope,
sinks. Calls run `concurrency` at a time; each round's `time.process_time` is divided by its calls,
best of `rounds`. With Redis, each round also reports the commands per call the server counted (INFO
commandstats) and, for a server on this machine whose pid is given, its CPU per call.

    python -m loadtests.bench.gateway_cpu [--calls 2000] [--rounds 5] [--concurrency 32]
        [--redis-url redis://127.0.0.1:6390/0 [--redis-pid PID]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import redis
import uvloop
from fastapi import FastAPI

from bus.catalog import load_catalog
from bus.envelope import Reply
from bus.gateway.assembly import assemble_gateway
from bus.settings import BusSettings
from bus.transport.base import Delivery, Handler, Message, Subscription
from loadtests.bench.cases import CLIENT_HEADERS, ECHO_BODY
from loadtests.bench.cpu import cpu_seconds
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


@dataclass(frozen=True)
class RedisWatch:
    """The Redis a round runs against: its command counts, and its CPU when its pid is known."""

    url: str
    pid: int | None

    def commands(self) -> dict[str, int]:
        """Calls per command so far, as the server counts them."""
        with redis.Redis.from_url(self.url) as client:
            stats: dict[str, dict[str, Any]] = client.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}

    def cpu_seconds(self) -> float:
        """The server's CPU seconds so far (0 without a pid)."""
        return 0.0 if self.pid is None else cpu_seconds(self.pid)


@dataclass(frozen=True)
class Round:
    """One measured round: the gateway's CPU per call and, with Redis, what the server did per call."""

    gateway_us: float
    redis_us: float = 0.0
    commands: dict[str, float] | None = None


async def measure_round(app: FastAPI, calls: int, concurrency: int, watch: RedisWatch | None) -> Round:
    """One round of `calls` echo calls."""
    body = ECHO_BODY.encode()
    if watch is None:
        return Round(await measure(app, calls, concurrency, lambda: call(app, ECHO_PATH, body)))
    before, cpu_before = watch.commands(), watch.cpu_seconds()
    gateway_us = await measure(app, calls, concurrency, lambda: call(app, ECHO_PATH, body))
    after, cpu_after = watch.commands(), watch.cpu_seconds()
    per_call = {k: (n - before.get(k, 0)) / calls for k, n in after.items() if n - before.get(k, 0) > 0}
    per_call.pop("info", None)
    return Round(gateway_us, 1e6 * (cpu_after - cpu_before) / calls, per_call)


async def run(calls: int, rounds: int, concurrency: int, watch: RedisWatch | None) -> list[Round]:
    """Every round's figures, after one warm-up round."""
    catalog = load_catalog(DEFAULT_CATALOG)
    settings = BusSettings(redis_url=None if watch is None else watch.url, amqp_url=None)
    app = assemble_gateway(catalog, InstantEchoTransport(), settings)
    figures = []
    async with app.router.lifespan_context(app):
        await measure_round(app, calls // 4, concurrency, None)
        for _ in range(rounds):
            figures.append(await measure_round(app, calls, concurrency, watch))
    return figures


def main() -> None:
    """Print each round's figure and the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--redis-url", help="stores in this Redis (a private one: its counts are read)")
    parser.add_argument("--redis-pid", type=int, help="that Redis server's pid, to add its CPU")
    args = parser.parse_args()
    watch = None if args.redis_url is None else RedisWatch(args.redis_url, args.redis_pid)
    figures = uvloop.run(run(args.calls, args.rounds, args.concurrency, watch))  # as uvicorn runs the gateway
    rounds = " ".join(f"{f.gateway_us:.0f}" for f in figures)
    best = min(figures, key=lambda f: f.gateway_us + f.redis_us)
    print(f"gateway in-process: best {best.gateway_us:.1f} CPU-µs/call (rounds: {rounds})")
    if watch is not None and best.commands is not None:
        print(
            f"redis-server: {best.redis_us:.1f} CPU-µs/call in that round (rounds: "
            + " ".join(f"{f.redis_us:.0f}" for f in figures)
            + ")"
        )
        total = sum(best.commands.values())
        listed = ", ".join(f"{k} {v:.2f}" for k, v in sorted(best.commands.items(), key=lambda kv: -kv[1]))
        print(f"redis commands per call: {total:.2f} ({listed})")


if __name__ == "__main__":
    main()
