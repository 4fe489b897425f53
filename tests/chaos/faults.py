"""The chaos run's fault schedule: named faults, each fired every so many seconds while the load runs.

To add a fault, append a `Fault` whose `fire` does it and returns how many things it hit; the schedule
counts both for the report. `cut_for` makes one that cuts a fault proxy (a broker or Redis outage).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from tests.support.fault_proxy import FaultProxy


@dataclass
class Fault:
    """One kind of fault: `fire` does it and returns how many things it hit (workers, connections)."""

    name: str
    every: float
    fire: Callable[[], Awaitable[int]]
    first_after: float | None = None  # seconds into the run; `every` when None


@dataclass
class FaultSchedule:
    """Fires each fault on its own period until stopped; `counts` has `<name>` (times fired) and
    `<name>_hit` (things hit) per fault."""

    faults: Sequence[Fault]
    counts: Counter[str] = field(default_factory=Counter)

    async def run(self, stop: asyncio.Event, *, tick: float = 0.1) -> None:
        """Fire the faults until `stop` is set; a fault that raises ends the run with its error."""
        started = time.monotonic()
        due = {
            fault.name: fault.first_after if fault.first_after is not None else fault.every
            for fault in self.faults
        }
        while not stop.is_set():
            elapsed = time.monotonic() - started
            for fault in self.faults:
                if elapsed >= due[fault.name]:
                    self.counts[f"{fault.name}_hit"] += await fault.fire()
                    self.counts[fault.name] += 1
                    due[fault.name] += fault.every
            try:
                await asyncio.wait_for(stop.wait(), tick)
            except TimeoutError:
                pass


def cut_for(proxy: FaultProxy, seconds: float) -> Callable[[], Awaitable[int]]:
    """A `Fault.fire` that cuts every connection through `proxy` and refuses new ones for `seconds` (a
    timer restores it, so the schedule goes on meanwhile); it hits the connections that were open."""

    async def fire() -> int:
        hit = proxy.connections
        proxy.cut()
        asyncio.get_running_loop().call_later(seconds, proxy.restore)
        return hit

    return fire
