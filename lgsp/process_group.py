"""`--processes N`: run N copies of one `lgsp` command on one port (SO_REUSEPORT), stopped together.

The parent only supervises: each child is an ordinary `lgsp gateway` or `lgsp run --no-mocks` that binds
the shared port with SO_REUSEPORT, so the kernel spreads connections over them. State that must be
shared (rate limits, idempotency keys, async transactions, monitoring) lives in Redis and requests
travel through RabbitMQ, which is why more than one process needs both URLs. When one child dies the
group stops the others and exits with that child's status: a half-running group would serve with
less capacity than it announced, and a supervisor above (systemd, an orchestrator) restarts it whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType


class NeedsSharedState(ValueError):
    """More than one process was asked for without the broker and store they must share."""


def require_shared_state(processes: int, amqp_url: str | None, redis_url: str | None) -> None:
    """Refuse `processes > 1` unless both RabbitMQ and Redis are configured (naming what is missing)."""
    missing = [name for name, url in (("--amqp-url", amqp_url), ("--redis-url", redis_url)) if not url]
    if processes > 1 and missing:
        raise NeedsSharedState(
            f"--processes {processes} needs {' and '.join(missing)}: the memory transport and store "
            "live in one process, so sibling processes would neither see each other's requests nor "
            "share rate limits and idempotency keys"
        )


def lgsp_executable() -> list[str]:
    """How this interpreter runs `lgsp` (the venv's console script when present)."""
    script = Path(sys.executable).with_name("lgsp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lgsp.cli"]


@dataclass
class ProcessGroup:
    """N children running `args`, with `settings` (LGSP_* values) added to their environment.

    Secrets (broker and Redis URLs) travel in the environment, not on the command line `ps` shows.
    """

    args: list[str]
    count: int
    settings: dict[str, str] = field(default_factory=dict)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        """Start every child."""
        env = {**os.environ, **self.settings}
        for _ in range(self.count):
            self.children.append(subprocess.Popen([*lgsp_executable(), *self.args], env=env))

    def exited(self) -> int | None:
        """The status of the first child that has exited, None while all run."""
        for child in self.children:
            status = child.poll()
            if status is not None:
                return status
        return None

    def terminate(self) -> None:
        """SIGTERM every child still running: each drains its in-flight calls and exits."""
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every child still running, then kill what outlives `timeout`."""
        self.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)

    def supervise(self) -> int:
        """Start, then block until SIGINT/SIGTERM or a child's exit; stop all; return the exit status."""
        stopping: list[int] = []

        def on_signal(number: int, _frame: FrameType | None) -> None:
            stopping.append(number)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            status = None
            while not stopping and status is None:
                time.sleep(0.2)
                status = self.exited()
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0 if stopping and status is None else (status or 0)

    async def watch(self, stopped: asyncio.Event) -> int:
        """Start, then wait until `stopped` is set or a child exits; stop all; return the exit status."""
        self.start()
        try:
            while not stopped.is_set():
                status = self.exited()
                if status is not None:
                    return status
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), 0.2)
            return 0
        finally:
            # The loop keeps running while the children drain: their last calls may still need the
            # mocks this process serves.
            await asyncio.to_thread(self.stop)
