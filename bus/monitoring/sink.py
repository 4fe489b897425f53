"""The operational-monitoring sink: every gateway transaction feeds metrics, records and health."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bus.catalog import Catalog
from bus.monitoring.labels import HealthSample, Labeller
from bus.monitoring.metrics import BusMetrics
from bus.monitoring.records import OperationalRecord, ServiceHealth
from bus.monitoring.state import MemoryMonitoringState, MonitoringState
from bus.transaction import TransactionRecord, TransactionSink

log = logging.getLogger(__name__)


class MonitoringSink(TransactionSink):
    """Keeps the latest records and per-service health in `state`, and this process's Prometheus metrics.

    Give it the catalog so aggregates and metric labels stay bounded to declared services and clients.
    """

    def __init__(
        self,
        state: MonitoringState | None = None,
        *,
        catalog: Catalog | None = None,
        metrics: BusMetrics | None = None,
        write_timeout: float = 1.0,
    ) -> None:
        if not write_timeout > 0:
            raise ValueError(f"write_timeout must be a positive number of seconds, got {write_timeout!r}")
        self.state = state if state is not None else MemoryMonitoringState()
        self.metrics = metrics if metrics is not None else BusMetrics()
        self.labeller = Labeller(catalog)
        self._write_timeout = write_timeout

    async def connect(self) -> None:
        """Open the state's connections (fails here on an unreachable Redis)."""
        await self.state.connect()

    async def close(self) -> None:
        """Release the state's connections."""
        await self.state.close()

    async def record(self, record: TransactionRecord) -> None:
        """Observe one finished transaction; never fails or stalls the call it describes."""
        operational, sample = self.sampled(record)
        self.count(operational, sample)
        await self.keep(operational, sample)

    def sampled(self, record: TransactionRecord) -> tuple[OperationalRecord, HealthSample]:
        """The monitoring view of `record` and its health sample (labels and duration, worked out once)."""
        operational = OperationalRecord.from_transaction(record)
        return operational, self.labeller.sample(operational)

    def count(self, operational: OperationalRecord, sample: HealthSample) -> None:
        """Add an observed record to the Prometheus metrics."""
        self.metrics.observe(operational, sample, self.labeller.client(operational))

    async def keep(self, operational: OperationalRecord, sample: HealthSample) -> None:
        """Add an observed record and its health sample to the state; never fails, and gives up after the
        write time-out."""
        try:
            # The in-process state's `add` never awaits, so cannot stall: no timer for it (one timer
            # per call was ≈ 8 µs of the gateway's CPU). Its subclasses may await, and stay timed.
            if type(self.state) is not MemoryMonitoringState:
                async with asyncio.timeout(self._write_timeout):
                    await self.state.add(operational, sample)
            else:
                await self.state.add(operational, sample)
        except Exception:
            # The caller already has its answer; losing one monitoring record must not turn it into a 500.
            self.lost(operational.transaction_id)

    def lost(self, transaction_id: str, why: str | None = None) -> None:
        """Count and log a record the state did not keep (`why` when it is not the exception at hand)."""
        self.metrics.monitoring_write_failures.inc()
        if why is None:
            log.warning("monitoring record of %s not kept", transaction_id, exc_info=True)
        else:
            log.warning("monitoring record of %s not kept: %s", transaction_id, why)

    async def health(self) -> list[ServiceHealth]:
        """Health of every service seen (by every replica, when the state is shared)."""
        return await self.state.health()

    async def latest(
        self,
        *,
        limit: int,
        service: str | None = None,
        since: datetime | None = None,
        issue: str | None = None,
    ) -> list[OperationalRecord]:
        """Up to `limit` latest records, newest first, optionally of one service, since a moment, and
        made for one dossier (all of a journey's transactions)."""
        return await self.state.latest(limit=limit, service=service, since=since, issue=issue)
