"""Every journey a Locust run started and how it ended, written as CSV for the capacity report.

`started_t`/`ended_t` are wall seconds since the test's start (as the request rows'); `received_at` and
`finished_at` are the engine's simulated times (its working-day clock), from which the report computes
durations in working time. A journey still running when the run ended has an empty `ended_t`.
"""

from __future__ import annotations

import csv
import time
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass
class JourneyRow:
    """One journey started by the load test."""

    kind: str
    journey_id: str
    started_t: float
    ended_t: float | None = None
    status: str = "running"
    verdict: str = ""
    received_at: str = ""
    finished_at: str = ""
    reason: str = ""
    due_at: str = ""  # the appointment (simulated time)
    as_of: str = ""  # the bus's simulated time when last seen

    def end(self, t: float, record: dict[str, Any]) -> None:
        """The journey as last seen (`GET /journeys/{id}`) at `t`: ended when it is no longer running."""
        self.status = str(record.get("status", "unknown"))
        self.verdict = str(record.get("verdict") or "")
        self.received_at = str(record.get("received_at") or "")
        self.finished_at = str(record.get("finished_at") or "")
        self.reason = str(record.get("reason") or "")[:200]
        self.due_at = str(record.get("due_at") or "")
        self.as_of = str(record.get("as_of") or "")
        if self.finished_at:
            self.ended_t = t


JOURNEY_COLUMNS = tuple(f.name for f in fields(JourneyRow))


class JourneyRecorder:
    """The journeys of one run, kept in memory."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.rows: list[JourneyRow] = []

    def restart(self) -> None:
        """Start the clock again (at test start) and forget earlier journeys."""
        self.started = time.monotonic()
        self.rows.clear()

    def now(self) -> float:
        """Seconds since the test started."""
        return round(time.monotonic() - self.started, 3)

    def start(self, kind: str, journey_id: str) -> JourneyRow:
        """A journey just accepted (202)."""
        row = JourneyRow(kind, journey_id, self.now())
        self.rows.append(row)
        return row

    def write(self, path: Path) -> None:
        """Every journey as CSV with a header."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(JOURNEY_COLUMNS)
            writer.writerows(["" if v is None else v for v in astuple(row)] for row in self.rows)


def read_journeys(path: Path) -> list[JourneyRow]:
    """The rows a recorder wrote."""
    with path.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    return [_row(r) for r in rows]


def _row(r: dict[str, str]) -> JourneyRow:
    ended = float(r["ended_t"]) if r["ended_t"] else None
    return JourneyRow(
        kind=r["kind"], journey_id=r["journey_id"], started_t=float(r["started_t"]), ended_t=ended,
        status=r["status"], verdict=r["verdict"], received_at=r["received_at"],
        finished_at=r["finished_at"], reason=r["reason"],
        due_at=r.get("due_at", ""), as_of=r.get("as_of", ""),  # absent from an older run's file
    )  # fmt: skip
