"""Where monitoring keeps its latest records and health figures: the contract and the in-process state."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from bus.monitoring.labels import HealthSample
from bus.monitoring.records import DurationStats, OperationalRecord, ServiceHealth


@runtime_checkable
class MonitoringState(Protocol):
    """A bounded ring of the latest records plus per-service health aggregates."""

    async def connect(self) -> None:
        """Open connections; idempotent."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def add(self, record: OperationalRecord, sample: HealthSample) -> None:
        """Keep `record` (evicting the oldest beyond capacity) and fold `sample` into its service's health."""
        ...

    async def health(self) -> list[ServiceHealth]:
        """Health of every service seen so far, ordered by service id."""
        ...

    async def latest(
        self,
        *,
        limit: int,
        service: str | None = None,
        since: datetime | None = None,
        issue: str | None = None,
    ) -> list[OperationalRecord]:
        """Up to `limit` kept records, newest first, of `service`, ending at or after `since`, made for
        dossier `issue`."""
        ...


def check_positive(value: int, what: str) -> int:
    """Reject a count that is not a positive integer (a ring size, a page size)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def check_query(limit: int, since: datetime | None) -> None:
    """Reject a page size below one or a `since` without a time zone (records are in UTC)."""
    check_positive(limit, "limit")
    if since is not None and since.utcoffset() is None:
        raise ValueError(f"since must carry a time zone, got {since.isoformat()}")


def matches(
    record: OperationalRecord, service: str | None, since: datetime | None, issue: str | None = None
) -> bool:
    """Whether a kept record passes the `latest` filters."""
    if service is not None and record.service != service:
        return False
    if issue is not None and record.issue != issue:
        return False
    return since is None or record.response_out >= since


@dataclass
class _Aggregate:
    """Running health figures of one service."""

    count: int = 0
    failures: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    duration_sum: float = 0.0
    duration_min: float | None = None
    duration_max: float | None = None
    faults: dict[str, int] = field(default_factory=dict)

    def fold(self, sample: HealthSample) -> None:
        self.count += 1
        if sample.succeeded:
            self.duration_sum += sample.duration_ms
            if self.duration_min is None or sample.duration_ms < self.duration_min:
                self.duration_min = sample.duration_ms
            if self.duration_max is None or sample.duration_ms > self.duration_max:
                self.duration_max = sample.duration_ms
            if self.last_success is None or sample.request_in > self.last_success:
                self.last_success = sample.request_in
        else:
            self.failures += 1
            self.faults[sample.fault_type] = self.faults.get(sample.fault_type, 0) + 1
            if self.last_failure is None or sample.request_in > self.last_failure:
                self.last_failure = sample.request_in

    def health(self, service: str) -> ServiceHealth:
        successes = self.count - self.failures
        durations = None
        if successes and self.duration_min is not None and self.duration_max is not None:
            durations = DurationStats(
                min=self.duration_min, avg=self.duration_sum / successes, max=self.duration_max
            )
        return ServiceHealth(
            service=service,
            request_count=self.count,
            failure_count=self.failures,
            last_success=self.last_success,
            last_failure=self.last_failure,
            successful_duration_ms=durations,
            faults=dict(self.faults),
        )


class MemoryMonitoringState(MonitoringState):
    """Monitoring state for one process; no method awaits while it touches its data."""

    def __init__(self, *, records_kept: int = 10_000) -> None:
        self._records: deque[OperationalRecord] = deque(maxlen=check_positive(records_kept, "records kept"))
        self._aggregates: dict[str, _Aggregate] = {}

    async def connect(self) -> None:
        """Nothing to open; present for the contract."""

    async def close(self) -> None:
        """Nothing to release; the figures live as long as the object."""

    async def add(self, record: OperationalRecord, sample: HealthSample) -> None:
        """Append to the ring (the oldest falls out) and update the service's aggregate."""
        self._records.append(record)
        aggregate = self._aggregates.get(sample.service)
        if aggregate is None:  # not an _Aggregate made and dropped per call, as setdefault would
            aggregate = self._aggregates[sample.service] = _Aggregate()
        aggregate.fold(sample)

    async def health(self) -> list[ServiceHealth]:
        """Health of every service seen so far, ordered by service id."""
        return [self._aggregates[name].health(name) for name in sorted(self._aggregates)]

    async def latest(
        self,
        *,
        limit: int,
        service: str | None = None,
        since: datetime | None = None,
        issue: str | None = None,
    ) -> list[OperationalRecord]:
        """Up to `limit` kept records, newest first, of `service`, ending at or after `since`, made for
        dossier `issue`."""
        check_query(limit, since)
        found: list[OperationalRecord] = []
        for record in reversed(self._records):
            if len(found) >= limit:
                break
            if matches(record, service, since, issue):
                found.append(record)
        return found
