"""Transaction records waiting for the log to come back: kept in order, in memory and, when a spool file
is configured, on disk (one JSON line per record, flushed and fsynced), so a gateway that dies during a
Redis outage hands them to its successor. Delivery into the log is at least once: a record whose append
reached Redis but whose reply was lost may be appended twice (the same transaction id twice, never none).
"""

from __future__ import annotations

import base64
import json
import os
from collections import deque
from pathlib import Path

from bus.transaction import TransactionRecord
from bus.txlog.entry import TransactionBodies

Spooled = tuple[TransactionRecord, TransactionBodies | None]


def _line(record: TransactionRecord, bodies: TransactionBodies | None) -> str:
    kept = None
    if bodies is not None:
        kept = [base64.b64encode(bodies.request).decode(), base64.b64encode(bodies.response).decode()]
    return json.dumps({"record": record.model_dump(mode="json"), "bodies": kept}) + "\n"


def _parse(line: str) -> Spooled:
    data = json.loads(line)
    bodies = None
    if data.get("bodies"):
        request, response = data["bodies"]
        bodies = TransactionBodies(base64.b64decode(request), base64.b64decode(response))
    return TransactionRecord.model_validate(data["record"]), bodies


class RecordSpool:
    """A FIFO of records not yet in the log, bounded by `limit`, mirrored to `path` when given."""

    def __init__(self, path: Path | None = None, *, limit: int = 100_000) -> None:
        self.path = path
        self.limit = limit
        self._items: deque[Spooled] = deque()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        """No room for another record."""
        return len(self._items) >= self.limit

    def load(self) -> int:
        """Take in what a previous process left in the spool file; how many records."""
        if self.path is None or not self.path.exists():
            return 0
        lines = [line for line in self.path.read_text("utf-8").splitlines() if line.strip()]
        for line in lines:
            self._items.append(_parse(line))
        return len(lines)

    def push(self, record: TransactionRecord, bodies: TransactionBodies | None) -> None:
        """Keep `record` (on disk first, so a crash right after cannot lose it)."""
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as spool:
                spool.write(_line(record, bodies))
                spool.flush()
                os.fsync(spool.fileno())
        self._items.append((record, bodies))

    def oldest(self) -> Spooled:
        """The record to append next."""
        return self._items[0]

    def pop_oldest(self) -> None:
        """The oldest record is in the log; once the spool is empty the file is emptied too."""
        self._items.popleft()
        if not self._items and self.path is not None:
            self.path.write_text("", "utf-8")
