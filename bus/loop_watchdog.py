"""Notice when the event loop stops turning, and name what stopped it.

The loop runs a heartbeat every `threshold / 4` seconds; a daemon thread checks that the heartbeat came
on time. When the loop is late by more than `threshold` (blocking code inside `async def`: `time.sleep`,
a synchronous HTTP or database client, a long CPU-bound computation), the thread takes the loop
thread's stack at that moment (`sys._current_frames()`), so the culprit is named while it still blocks,
and logs ONE warning for that stall. While the loop is blocked nothing else in the process runs:
every request, every worker, `/health` included.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class LoopWatchdogSettings(BaseSettings):
    """When a stalled event loop is worth a warning (`LGSP_LOOP_STALL_SECONDS`)."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    loop_stall_seconds: float = Field(
        default=0.5,
        ge=0,
        description="warn when the event loop runs nothing for longer than this (0: no watchdog)",
    )


@dataclass
class LoopStall:
    """One stretch during which the event loop ran nothing."""

    stack: traceback.StackSummary  # the loop thread's stack when the stall was noticed, outermost first
    noticed_after: float  # how late the loop's heartbeat was when the stall was noticed
    seconds: float | None = None  # how late it was in all, set once the loop ran again

    @property
    def culprit(self) -> str:
        """The innermost frame the loop thread was in: 'function (file:line)'."""
        if not self.stack:
            return "an unknown place (no Python frame)"
        frame = self.stack[-1]
        return f"{frame.name} ({frame.filename}:{frame.lineno})"


class LoopWatchdog:
    """Watches the running event loop from a daemon thread; reports each stall over `threshold` once.

    `on_stall` is called in the watchdog's thread (default: a warning with the culprit's stack).
    Recent stalls are kept in `stalls`, their `seconds` filled in when the loop runs again."""

    def __init__(
        self, threshold: float, *, on_stall: Callable[[LoopStall], None] | None = None, keep: int = 100
    ) -> None:
        if threshold <= 0:
            raise ValueError(f"threshold must be > 0 s, got {threshold}")
        self.threshold = threshold
        self.interval = threshold / 4
        self.stalls: deque[LoopStall] = deque(maxlen=keep)
        self._on_stall = on_stall or self._warn
        self._lock = threading.Lock()
        self._due = 0.0
        self._open: LoopStall | None = None
        self._stopped = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._heartbeat: asyncio.TimerHandle | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LoopWatchdog:
        """Start watching the running loop; call it from a coroutine in that loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._beat()
        self._thread = threading.Thread(target=self._watch, name="lgsp-loop-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the heartbeat is cancelled, the thread ends within one interval)."""
        self._stopped.set()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * self.interval + 1.0)

    def _beat(self) -> None:
        now = time.monotonic()
        with self._lock:
            if self._open is not None:
                self._open.seconds = now - self._due
                self._open = None
            self._due = now + self.interval
        if not self._stopped.is_set() and self._loop is not None:
            self._heartbeat = self._loop.call_later(self.interval, self._beat)

    def _watch(self) -> None:
        while not self._stopped.wait(self.interval):
            with self._lock:
                late = time.monotonic() - self._due
                if late <= self.threshold or self._open is not None:
                    continue
                frame = sys._current_frames().get(self._loop_thread)
                stack = traceback.extract_stack(frame) if frame is not None else traceback.StackSummary()
                stall = LoopStall(stack=stack, noticed_after=late)
                self._open = stall
                self.stalls.append(stall)
            self._on_stall(stall)

    def _warn(self, stall: LoopStall) -> None:
        log.warning(
            "event loop blocked for %.2f s so far (threshold %g s, LGSP_LOOP_STALL_SECONDS) in %s; "
            "nothing else in this process runs meanwhile. The loop thread's stack:\n%s",
            stall.noticed_after,
            self.threshold,
            stall.culprit,
            "".join(stall.stack.format()).rstrip(),
        )


def start_loop_watchdog(settings: LoopWatchdogSettings | None = None) -> LoopWatchdog | None:
    """Watch the running loop with the configured threshold (None when it is set to 0).

    Call it once from a long-running process's main coroutine, after start-up."""
    threshold = (settings or LoopWatchdogSettings()).loop_stall_seconds
    return LoopWatchdog(threshold).start() if threshold > 0 else None


Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def watched_lifespan(lifespan: Lifespan) -> Lifespan:
    """An ASGI app's `lifespan` with the loop watchdog running from start-up to shutdown, for a process
    whose loop is made by `uvicorn.run` (`app.router.lifespan_context = watched_lifespan(...)`)."""

    @asynccontextmanager
    async def watched(app: Any) -> AsyncIterator[Any]:
        watchdog = start_loop_watchdog()
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            if watchdog is not None:
                watchdog.stop()

    return watched
