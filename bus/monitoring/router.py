"""HTTP face of monitoring: `/metrics` for Prometheus, `/monitoring/health` and `/monitoring/records`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Query, params
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, AwareDatetime
from redis.exceptions import RedisError

from bus.identifiers import ServiceId
from bus.monitoring.records import HealthReport, RecordPage
from bus.monitoring.sink import MonitoringSink

log = logging.getLogger(__name__)

MAX_PAGE = 1000
READ_TIMEOUT_SECONDS = 5.0
_T = TypeVar("_T")


def _service_id(text: str | None) -> str | None:
    # Raising ValueError (IdentifierError) here makes FastAPI answer 422 naming the parameter.
    return None if text is None else str(ServiceId.parse(text))


ServiceQuery = Annotated[
    str | None,
    Query(max_length=512, description="only records of this service id"),
    AfterValidator(_service_id),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many records")]
DossierQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="only records made for this dossier code (maHoSo)"),
]
SinceQuery = Annotated[
    AwareDatetime | None,
    Query(description="only records answered at or after this moment (ISO 8601 with a zone)"),
]


async def _read(what: Awaitable[_T]) -> _T:
    """Await a state read; an unreachable or stalled shared state is a 503, not a hang or a 500."""
    try:
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            return await what
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("monitoring state unavailable: %s", error)
        raise HTTPException(503, "monitoring state unavailable") from error


def monitoring_router(sink: MonitoringSink, *, dependencies: Sequence[params.Depends] = ()) -> APIRouter:
    """Routes over `sink`; `dependencies` guard them all (e.g. an admin credential check)."""
    router = APIRouter(tags=["monitoring"], dependencies=list(dependencies))

    @router.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """This replica's Prometheus metrics (each replica is scraped; Prometheus sums them)."""
        return Response(generate_latest(sink.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/monitoring/health")
    async def health() -> HealthReport:
        """Health figures per service: counts, failures, last success/failure, durations, fault types."""
        return HealthReport(services=await _read(sink.health()))

    @router.get("/monitoring/records")
    async def records(
        service: ServiceQuery = None,
        limit: LimitQuery = 100,
        since: SinceQuery = None,
        dossier: DossierQuery = None,
    ) -> RecordPage:
        """The latest operational records, newest first (X-Road's operational data); `dossier` lists a
        journey's transactions (the dossier code travels as each one's issue)."""
        found = sink.latest(limit=limit, service=service, since=since, issue=dossier)
        return RecordPage(records=await _read(found))

    return router
