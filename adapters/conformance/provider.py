"""The provider under the kit: an ASGI app served by uvicorn on 127.0.0.1 (random port), recorded.

Recording sits outside the app (and its fault injection), so the kit sees every call the adapter made:
its headers (X-Request-Id, traceparent) and its body, exactly as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_control"
_START_SECONDS = 10.0


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP request the provider received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingMiddleware:
    """Records each non-control HTTP request (headers lower-cased, body in full) before passing it on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[RecordedCall] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        body = b"".join(chunks)
        self.calls.append(RecordedCall(scope["method"], scope["path"], headers, body))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _QuietServer(uvicorn.Server):
    """No signal handling: the kit runs inside someone else's process (a CLI, a pytest session)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class RunningProvider:
    """Serves a provider app for the duration of a check run; `url`, `calls`, fault and effect controls."""

    def __init__(self, app: ASGIApp) -> None:
        self.recorder = RecordingMiddleware(app)
        # log_config=None: uvicorn's records reach the root logger, where the kit looks for secrets.
        config = uvicorn.Config(
            self.recorder, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
        )
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None
        self.url = ""
        self._control: httpx.AsyncClient | None = None

    @property
    def calls(self) -> list[RecordedCall]:
        """Calls received since the last `forget_calls`."""
        return self.recorder.calls

    def forget_calls(self) -> None:
        """Start recording afresh (before each call the kit inspects)."""
        self.recorder.calls.clear()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(_START_SECONDS):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                    raise RuntimeError("the provider stopped during start-up")
                await asyncio.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._control = httpx.AsyncClient(base_url=self.url, timeout=5.0)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._control is not None:
            await self._control.aclose()
        self._server.should_exit = True
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=5.0)

    async def has_faults(self) -> bool:
        """Whether the provider offers the fault control API (`services.faults.install_faults`)."""
        return (await self._get(f"{CONTROL_PREFIX}/faults")) is not None

    async def set_faults(self, changes: dict[str, Any]) -> None:
        """Reset the fault profile, then change the given fields."""
        assert self._control is not None
        (await self._control.post(f"{CONTROL_PREFIX}/faults/reset")).raise_for_status()
        (await self._control.patch(f"{CONTROL_PREFIX}/faults", json=changes)).raise_for_status()

    async def reset_faults(self) -> None:
        """Back to the provider's defaults."""
        assert self._control is not None
        (await self._control.post(f"{CONTROL_PREFIX}/faults/reset")).raise_for_status()

    async def effects(self) -> float | None:
        """Sum of the provider's effect counters (`/_control/effects`), or None when it has none."""
        counters = await self._get(f"{CONTROL_PREFIX}/effects")
        if not isinstance(counters, dict):
            return None
        return float(sum(value for value in counters.values() if isinstance(value, int | float)))

    async def _get(self, path: str) -> Any:
        assert self._control is not None
        response = await self._control.get(path)
        return response.json() if response.status_code == 200 else None
