"""Operational monitoring (X-Road style): a transaction sink keeping the latest records and health
figures per service, in memory or shared through Redis, plus Prometheus metrics and their HTTP routes.
"""

from __future__ import annotations

from bus.catalog import Catalog
from bus.monitoring.in_flight import InFlightMiddleware
from bus.monitoring.metrics import BusMetrics
from bus.monitoring.records import DurationStats, HealthReport, OperationalRecord, RecordPage, ServiceHealth
from bus.monitoring.redis_state import RedisMonitoringState
from bus.monitoring.router import monitoring_router
from bus.monitoring.settings import MonitoringSettings
from bus.monitoring.sink import MonitoringSink
from bus.monitoring.state import MemoryMonitoringState, MonitoringState

__all__ = [
    "BusMetrics",
    "DurationStats",
    "HealthReport",
    "InFlightMiddleware",
    "MemoryMonitoringState",
    "MonitoringSettings",
    "MonitoringSink",
    "MonitoringState",
    "OperationalRecord",
    "RecordPage",
    "RedisMonitoringState",
    "ServiceHealth",
    "make_monitoring_sink",
    "monitoring_router",
]


def make_monitoring_sink(
    redis_url: str | None, *, catalog: Catalog | None = None, settings: MonitoringSettings | None = None
) -> MonitoringSink:
    """A sink whose state is shared through Redis when `redis_url` is given, else held in this process."""
    settings = settings if settings is not None else MonitoringSettings()
    state: MonitoringState
    if redis_url is None:
        state = MemoryMonitoringState(records_kept=settings.records_kept)
    else:
        state = RedisMonitoringState(
            redis_url, records_kept=settings.records_kept, prefix=settings.key_prefix
        )
    return MonitoringSink(state, catalog=catalog, write_timeout=settings.write_timeout)
