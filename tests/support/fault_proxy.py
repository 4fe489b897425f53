"""A TCP proxy a test controls, to give the bus a broker or Redis outage without touching the real one.

    proxy = FaultProxy("127.0.0.1", 5672); await proxy.start()   # then point the URL at proxy.port
    proxy.cut()          # close every connection and refuse new ones (the server "went away")
    proxy.restore()      # accept and forward again
    proxy.black_hole()   # accept and hold connections, forward nothing (a silent network partition)
    proxy.delay = 0.2    # add latency to every forwarded chunk

    async with proxy_to(amqp_url, 5672) as proxy: ...      # started in front of a URL, stopped after

Toxiproxy's ideas in ~150 lines of asyncio, so the tests need no extra daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

Mode = Literal["open", "refuse", "black_hole"]
CHUNK = 65_536


@dataclass(eq=False)  # hashed by identity, to live in a set
class _Pipe:
    """One proxied connection: the client's streams and the upstream's."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for writer in (self.client, self.upstream):
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.transport.abort()  # an RST-like close, as when a server dies


class FaultProxy:
    """Listens on 127.0.0.1:`port` (0 = any free port) and forwards to `host`:`upstream_port`."""

    def __init__(self, host: str, upstream_port: int, *, port: int = 0) -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.mode: Mode = "open"
        self.delay = 0.0
        self.accepted = 0  # connections accepted since start, for tests that check reconnects
        self._listen_port = port
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        if self._server is None:
            raise RuntimeError("proxy not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def connections(self) -> int:
        """Connections currently open through the proxy."""
        return len(self._pipes)

    def url(self, template: str) -> str:
        """`template` (an amqp:// or redis:// URL to the upstream) rewritten to go through the proxy."""
        return template.replace(f":{self.upstream_port}", f":{self.port}", 1)

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self._listen_port)

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        self._drop_all()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def cut(self) -> None:
        """Close every open connection and refuse new ones until `restore`."""
        self.mode = "refuse"
        self._drop_all()

    def black_hole(self) -> None:
        """Stop forwarding on every connection, old and new, without closing any (until `restore`)."""
        self.mode = "black_hole"

    def restore(self) -> None:
        """Forward again; connections held in a black hole are closed, as a partition's peers time out."""
        if self.mode == "black_hole":
            self._drop_all()
        self.mode = "open"

    def _drop_all(self) -> None:
        pipes, self._pipes = self._pipes, set()
        for pipe in pipes:
            pipe.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            writer.transport.abort()
            return
        self.accepted += 1
        pipe = _Pipe(client=writer)
        self._pipes.add(pipe)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            self._pipes.discard(pipe)
            pipe.close()
            return
        pipe.upstream = up_writer
        pipe.tasks = [
            asyncio.ensure_future(self._forward(reader, up_writer, pipe)),
            asyncio.ensure_future(self._forward(up_reader, writer, pipe)),
        ]

    async def _forward(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, pipe: _Pipe) -> None:
        try:
            while True:
                chunk = await source.read(CHUNK)
                if not chunk:
                    break
                # Held while black-holed: the bytes are swallowed, as a partition does.
                if self.mode == "black_hole":
                    continue
                if self.delay:
                    await asyncio.sleep(self.delay)
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._pipes.discard(pipe)
            pipe.close()


@contextlib.asynccontextmanager
async def proxy_to(url: str, default_port: int) -> AsyncIterator[FaultProxy]:
    """A started proxy in front of `url`'s host and port (`default_port` when it names none); on exit
    it forwards no more and every connection through it is closed."""
    parts = urlparse(url)
    proxy = FaultProxy(parts.hostname or "127.0.0.1", parts.port or default_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        proxy.restore()
        await proxy.stop()


def quick_redis_url(url: str) -> str:
    """`url` (a redis:// URL) with half-second socket time-outs, so a client notices a cut or a black
    hole at once instead of waiting on the socket."""
    return f"{url}{'&' if '?' in url else '?'}socket_timeout=0.5&socket_connect_timeout=0.5"
