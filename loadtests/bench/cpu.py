"""CPU time of processes from /proc/<pid>/stat (utime + stime, all threads), and finding the broker."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import psutil

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by `pid` (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces: fields are counted after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each named process now."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each process spent between two snapshots."""
    return {name: round(after[name] - before.get(name, 0.0), 4) for name in after}


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (none when it has gone), e.g. the members of a process group."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return sorted(found)


def find_processes(command_name: str) -> list[int]:
    """Pids whose command name (as in /proc/<pid>/comm) is `command_name`, e.g. beam.smp of RabbitMQ."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command_name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def listening_pids(ports: Iterable[int]) -> set[int]:
    """Pids of this machine's processes listening on one of the TCP `ports`."""
    wanted = set(ports)
    return {
        connection.pid
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port in wanted and connection.pid
    }


def broker_pids(ports: Iterable[int]) -> dict[str, int]:
    """The RabbitMQ nodes serving the bench's broker `ports`, by label (empty when they run elsewhere):
    not every beam.smp of the machine, which may run other nodes or Erlang programs."""
    serving = listening_pids(ports)
    return {f"rabbitmq-{pid}": pid for pid in find_processes("beam.smp") if pid in serving}


def redis_pids(ports: Iterable[int]) -> dict[str, int]:
    """The Redis server serving the bench's `ports`, by label (empty when it runs elsewhere)."""
    serving = listening_pids(ports)
    return {f"redis-{pid}": pid for pid in find_processes("redis-server") if pid in serving}
