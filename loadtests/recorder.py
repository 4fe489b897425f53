"""Every request of a Locust run, kept in memory and written as CSV at the end, for exact per-stage figures.

Locust's own history keeps only rolling-window percentiles; the capacity report needs each stage's
true p50/p95/p99 and its errors by taxonomy type, so each request is recorded (≈ 40 bytes a row).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

RAW_COLUMNS = ("t", "name", "ms", "ok", "fault")
# Requests named so went straight to a provider (a payer's browser) or the portal mock, not through the bus.
DIRECT_PREFIX = "direct: "


class RequestRecorder:
    """Rows of (seconds since start, request name, response ms, ok, fault type)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.rows: list[tuple[float, str, float, int, str]] = []

    def restart(self) -> None:
        """Start the clock again (at test start) and forget earlier rows."""
        self.started = time.monotonic()
        self.rows.clear()

    def record(self, name: str, response_ms: float, fault: str | None) -> None:
        """One finished request; `fault` is its taxonomy type (or check failure), None when it succeeded."""
        self.rows.append(
            (
                round(time.monotonic() - self.started, 3),
                name,
                round(response_ms, 2),
                int(fault is None),
                fault or "",
            )
        )

    def write(self, path: Path) -> None:
        """Write every row as CSV with a header."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(RAW_COLUMNS)
            writer.writerows(self.rows)


def fault_type(message: str | None) -> str:
    """The taxonomy type that starts a failure message (`Server.Bus.Timeout: …`), else a generic label."""
    if not message:
        return "Unknown"
    head = message.split(":", 1)[0].strip()
    if head.startswith(("Client.", "Server.", "Check.", "Transport.")):
        return head
    return "Transport." + head.split("(", 1)[0].replace(" ", "")[:40]
