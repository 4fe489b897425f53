"""A load profile started and stopped from the dashboard: one subprocess at a time.

The bus runs no load generator itself (Locust must never share the bus's event loop): the composition
root names each profile's command line (e.g. `lgsp capacity --host ... --shape spike`), and this module
only starts it in its own process group, watches it, and stops the whole group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from bus.errors import BadRequest

STOP_GRACE_SECONDS = 5.0
OUTPUT_LINES_KEPT = 20


class LoadProfile(BaseModel):
    """A named load profile and the command that drives it."""

    name: str
    title: str
    argv: list[str]


class LoadStatus(BaseModel):
    """What runs now, or ran last."""

    profiles: list[dict[str, str]]
    running: bool
    profile: str | None = None
    started_at: float | None = None
    exit_code: int | None = None
    output: list[str] = []


class LoadControl:
    """Starts one of `profiles` at a time as a subprocess; `stop` ends its whole process group."""

    def __init__(self, profiles: Sequence[LoadProfile], *, env: Mapping[str, str] | None = None) -> None:
        self.profiles = {profile.name: profile for profile in profiles}
        self._env = dict(env) if env is not None else None
        self._process: asyncio.subprocess.Process | None = None
        self._profile: str | None = None
        self._started_at: float | None = None
        self._output: deque[str] = deque(maxlen=OUTPUT_LINES_KEPT)
        self._reader: asyncio.Task[None] | None = None

    def status(self) -> LoadStatus:
        """The profiles offered and the run in progress (or the last one's exit code)."""
        process = self._process
        return LoadStatus(
            profiles=[{"name": p.name, "title": p.title} for p in self.profiles.values()],
            running=process is not None and process.returncode is None,
            profile=self._profile,
            started_at=self._started_at,
            exit_code=process.returncode if process is not None else None,
            output=list(self._output),
        )

    async def start(self, name: str) -> LoadStatus:
        """Start profile `name`; BadRequest when unknown or when a run is in progress."""
        profile = self.profiles.get(name)
        if profile is None:
            raise BadRequest(f"unknown load profile {name!r}; known: {sorted(self.profiles)}")
        if self._process is not None and self._process.returncode is None:
            raise BadRequest(f"load profile {self._profile!r} is running; stop it first")
        self._output.clear()
        self._process = await asyncio.create_subprocess_exec(
            *profile.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop ends Locust's children too
            env=self._env,
        )
        self._profile = name
        self._started_at = time.time()
        self._reader = asyncio.create_task(self._read(self._process), name="load-output")
        return self.status()

    async def stop(self) -> LoadStatus:
        """Terminate the run's process group (killed after a grace period); a no-op when idle."""
        process = self._process
        if process is None or process.returncode is not None:
            return self.status()
        self._signal(process, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            self._signal(process, signal.SIGKILL)
            await process.wait()
        if self._reader is not None:
            await self._reader
        return self.status()

    @staticmethod
    def _signal(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            self._output.append(line.decode("utf-8", "replace").rstrip())
