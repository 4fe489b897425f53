"""`/ui`: the live dashboard's page, its sign-in, its snapshot and event stream, and its controls.

GET  /ui/                       the page (static, no data in it)
POST /ui/session                launch token or credential → session cookie; DELETE signs out
GET  /ui/api/topology           systems, groups and edges (viewer)
GET  /ui/api/snapshot           the deployment now, with throughput history (viewer)
GET  /ui/api/stream             the same, pushed each tick as Server-Sent Events (viewer)
GET  /ui/api/transactions       latest transactions, filtered (viewer)
GET  /ui/api/transactions/{id}  one log entry with its hash-chain checks (viewer)
POST /ui/api/log/verify         verify the whole chain (admin)
GET  /ui/api/journeys[/{id}]    journeys, when an engine is wired in (viewer)
POST /ui/api/faults, /faults/{mock}/clear, /scenarios/{name}   fault controls (admin)
POST /ui/api/load/{profile}, /load/stop                         load controls (admin)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import AwareDatetime

from bus.dashboard.access import SESSION_COOKIE, DashboardAccess, Session, SignIn
from bus.dashboard.assets import StaticAssets
from bus.dashboard.fault_control import FaultChange, FaultControl
from bus.dashboard.feed import SnapshotFeed, record_row
from bus.dashboard.journeys import JourneyList, JourneyReader, JourneyTimeline, journey_list
from bus.dashboard.load_control import LoadControl, LoadStatus
from bus.dashboard.transactions import (
    OpenedTransaction,
    StatusFilter,
    TransactionFilter,
    latest_transactions,
    open_transaction,
)
from bus.errors import BadRequest
from bus.monitoring.sink import MonitoringSink
from bus.txlog.base import TransactionLog, VerifyReport

MAX_ROWS = 200
SCANNED_RECORDS = 1_000


@dataclass
class Dashboard:
    """Everything the dashboard's routes read and drive; built by the composition root."""

    access: DashboardAccess
    feed: SnapshotFeed
    monitoring: MonitoringSink
    log: TransactionLog
    faults: FaultControl | None = None
    load: LoadControl | None = None
    journeys: JourneyReader | None = None
    assets: StaticAssets | None = None

    async def close(self) -> None:
        """End open streams, stop a running load, cancel scenario timers."""
        await self.feed.close()
        if self.load is not None:
            await self.load.stop()
        if self.faults is not None:
            await self.faults.close()


def _faults(dashboard: Dashboard) -> FaultControl:
    if dashboard.faults is None:
        raise BadRequest("this deployment's dashboard has no fault controls")
    return dashboard.faults


def _load(dashboard: Dashboard) -> LoadControl:
    if dashboard.load is None:
        raise BadRequest("this deployment's dashboard has no load controls")
    return dashboard.load


def dashboard_router(dashboard: Dashboard) -> APIRouter:
    """The `/ui` routes over `dashboard`."""
    router = APIRouter(prefix="/ui", include_in_schema=False)
    assets = dashboard.assets if dashboard.assets is not None else StaticAssets()
    viewer = [Depends(dashboard.access.viewer)]
    operator = [Depends(dashboard.access.operator)]

    @router.get("")
    async def bare() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @router.get("/")
    async def page(request: Request) -> Response:
        return assets.response("index.html", request)

    @router.get("/static/{path:path}")
    async def static(path: str, request: Request) -> Response:
        return assets.response(path, request)

    @router.post("/session")
    async def sign_in(wanted: SignIn, request: Request) -> JSONResponse:
        session_id, session = await dashboard.access.sign_in(wanted)
        answer = JSONResponse(session.model_dump())
        answer.set_cookie(
            SESSION_COOKIE,
            session_id,
            httponly=True,
            samesite="strict",
            path="/ui",
            secure=request.url.scheme == "https",
        )
        return answer

    @router.get("/session")
    async def who(request: Request) -> Session:
        return await dashboard.access.session(request)

    @router.delete("/session")
    async def sign_out(request: Request) -> JSONResponse:
        await dashboard.access.sign_out(request.cookies.get(SESSION_COOKIE))
        answer = JSONResponse({"signed_out": True})
        answer.delete_cookie(SESSION_COOKIE, path="/ui")
        return answer

    @router.get("/api/topology", dependencies=viewer)
    async def topology() -> dict[str, Any]:
        return dashboard.feed.topology.model_dump()

    @router.get("/api/snapshot", dependencies=viewer)
    async def snapshot() -> dict[str, Any]:
        return await dashboard.feed.snapshot()

    @router.get("/api/stream", dependencies=viewer)
    async def stream() -> StreamingResponse:
        return StreamingResponse(
            dashboard.feed.frames(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.get("/api/transactions", dependencies=viewer)
    async def transactions(
        client: Annotated[str | None, Query(max_length=200)] = None,
        service: Annotated[str | None, Query(max_length=512)] = None,
        status: StatusFilter | None = None,
        dossier: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 50,
    ) -> dict[str, Any]:
        wanted = TransactionFilter(client=client, service=service, status=status, dossier=dossier)
        found = await latest_transactions(dashboard.monitoring, wanted, limit=limit, scan=SCANNED_RECORDS)
        return {"transactions": [record_row(record) for record in found]}

    @router.get("/api/transactions/{transaction_id}", dependencies=viewer)
    async def transaction(
        transaction_id: str,
        at: AwareDatetime,
        client: Annotated[str | None, Query(max_length=200)] = None,
    ) -> OpenedTransaction:
        if len(transaction_id) > 128:
            raise BadRequest("a transaction id has at most 128 characters")
        opened = await open_transaction(dashboard.log, transaction_id, at, client)
        if opened is None:
            raise HTTPException(
                404, f"transaction {transaction_id} is not in the log around {at.isoformat()}"
            )
        return opened

    @router.post("/api/log/verify", dependencies=operator)
    async def verify() -> VerifyReport:
        return await dashboard.log.verify()

    @router.get("/api/journeys", dependencies=viewer)
    async def journeys() -> JourneyList:
        return await journey_list(dashboard.journeys, limit=100)

    @router.get("/api/journeys/{journey_id}", dependencies=viewer)
    async def journey(journey_id: str) -> JourneyTimeline:
        timeline = await dashboard.journeys.timeline(journey_id) if dashboard.journeys else None
        if timeline is None:
            raise HTTPException(404, f"no journey {journey_id[:128]}")
        return timeline

    @router.get("/api/faults", dependencies=viewer)
    async def faults() -> dict[str, Any]:
        control = dashboard.faults
        if control is None:
            return {"targets": {}, "summaries": {}, "scenarios": [], "active": []}
        states = await control.states()
        return {
            "targets": states,
            "summaries": {
                name: control.summary(name, state.get("profile") if state else None)
                for name, state in states.items()
            },
            "scenarios": [s.model_dump() for s in control.scenarios.values()],
            "active": [a.model_dump() for a in control.active()],
        }

    @router.post("/api/faults", dependencies=operator)
    async def change_fault(wanted: FaultChange) -> dict[str, Any]:
        return await _faults(dashboard).change(wanted)

    @router.post("/api/faults/{target}/clear", dependencies=operator)
    async def clear_fault(target: str) -> dict[str, Any]:
        return await _faults(dashboard).clear(target)

    @router.post("/api/scenarios/{name}", dependencies=operator)
    async def scenario(name: str) -> dict[str, Any]:
        return (await _faults(dashboard).start_scenario(name)).model_dump()

    @router.get("/api/load", dependencies=viewer)
    async def load_status() -> LoadStatus | None:
        return dashboard.load.status() if dashboard.load else None

    @router.post("/api/load/stop", dependencies=operator)
    async def stop_load() -> LoadStatus:
        return await _load(dashboard).stop()

    @router.post("/api/load/{profile}", dependencies=operator)
    async def start_load(profile: str) -> LoadStatus:
        return await _load(dashboard).start(profile)

    return router
