"""Serve several ASGI apps in one event loop (the embedded default), stopping them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from bus.http_intake import HttpIntakeSettings, server_config

log = logging.getLogger(__name__)


class StreamClosingServer(uvicorn.Server):
    """A uvicorn server that runs `before_shutdown` (ending responses that never end by themselves, such
    as the dashboard's event streams) before its graceful shutdown waits for responses to finish: a
    signal stops it promptly instead of at the end of the shutdown grace."""

    def __init__(
        self, config: uvicorn.Config, before_shutdown: Sequence[Callable[[], Awaitable[None]]] = ()
    ) -> None:
        super().__init__(config)
        self.before_shutdown = list(before_shutdown)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Run the hooks (one failing does not stop the others), then uvicorn's graceful shutdown."""
        for hook in self.before_shutdown:
            try:
                await hook()
            except Exception:
                log.exception("a hook before the server's shutdown failed")
        await super().shutdown(sockets)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its ServerGroup."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Served:
    """One app and where it listens."""

    name: str
    app: FastAPI
    host: str
    port: int
    reuse_port: bool = False  # share the port with sibling processes (SO_REUSEPORT)

    @property
    def url(self) -> str:
        """The base URL of this app."""
        return f"http://{self.host}:{self.port}"


class ServerGroup:
    """Runs several apps on their own ports until `stop()` or SIGINT/SIGTERM, each with the read
    time-outs and connection bound of `intake`; plain HTTP (TLS is for `lgsp gateway` alone)."""

    def __init__(
        self, served: list[Served], *, log_level: str = "warning", intake: HttpIntakeSettings | None = None
    ) -> None:
        self.served = served
        intake = (HttpIntakeSettings() if intake is None else intake).without_tls()
        self._servers = [
            _QuietServer(server_config(s.app, s.host, s.port, settings=intake, log_level=log_level))
            for s in served
        ]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> list[asyncio.Task[None]]:
        """Start every server and wait until all listen; raises if one fails to start."""
        tasks = [
            asyncio.create_task(
                server.serve(sockets=[reuse_port_socket(s.host, s.port)] if s.reuse_port else None)
            )
            for server, s in zip(self._servers, self.served, strict=True)
        ]
        while not all(server.started for server in self._servers):
            failed = [t for t in tasks if t.done()]
            if failed:
                await self.stop()
                for task in failed:
                    task.result()
                raise RuntimeError("a server exited during start-up (is its port taken?)")
            await asyncio.sleep(0.02)
        self._tasks = tasks
        return tasks

    async def stop(self) -> None:
        """Ask every server to exit and wait for them."""
        for server in self._servers:
            server.should_exit = True
        await asyncio.gather(*self._tasks, return_exceptions=True)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT: several processes bind the same port and the kernel
    spreads new connections among them (each process accepts on its own queue)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock
