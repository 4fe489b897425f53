"""Citizens filing on the portal: the dossiers it hands to the province over `POST /journeys/{kind}`, with
the portal's own credentials, run as the one-stop's journeys to their end, and the portal hears every
status with the time it received it."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.errors import BusError
from bus.gateway.routing import error_response
from services.portal.citizen_draws import CitizenDraws
from services.portal.citizen_traffic import CitizenTraffic
from services.portal.settings import PortalSettings
from services.registry import PORTAL_DEMO_KEY
from tests.lgsp.citizen_journeys import CitizenJourneys

pytestmark = pytest.mark.slow


def gateway_over(stack: CitizenJourneys) -> httpx.ASGITransport:
    """The gateway's `/journeys` routes over the stack's journeys, in process."""
    app = FastAPI()
    app.include_router(stack.runtime.router())

    @app.exception_handler(BusError)
    async def _bus_error(request: Request, error: BusError) -> JSONResponse:
        return error_response(error, None)

    return httpx.ASGITransport(app=app)


async def test_dossiers_the_portals_citizens_file_run_to_their_end_as_the_one_stops_journeys(
    citizen_journeys: CitizenJourneys,
) -> None:
    stack = citizen_journeys
    settings = PortalSettings(gateway_url="http://gateway", api_key=PORTAL_DEMO_KEY)
    traffic = CitizenTraffic(
        settings, CitizenDraws(stack.mocks.population, seed=5), transport=gateway_over(stack),
        today=lambda: stack.today,
    )  # fmt: skip
    await traffic.start({"birth": 2.0, "death": 1.0}, loop=False)
    await traffic.pump(60.0)  # a minute's worth: two births and a death
    await traffic.close()
    status = traffic.status()
    assert status.answers == {"birth": {"202": 2}, "death": {"202": 1}, "dossier": {}}, status

    for code in status.dossiers:
        started = await stack.runtime.journeys.find(code)
        assert started is not None
        assert (started.client, started.submitter) == ("VN/GOV/HPG/MOTCUA", "VN/GOV/DVCQG/PORTAL")
        record = await stack.finished(started.journey_id)
        assert record.status == "completed", record.model_dump_json(indent=1)
        async with stack.mocks.client("portal") as portal:
            history = (await portal.get("/api/lienthong/TraCuu", params={"maHoSo": code})).json()["lichSu"]
        assert history[0]["trangThai"] == 1 and history[-1]["trangThai"] == 5
        received = [datetime.strptime(entry["thoiGianNhan"], "%Y%m%d%H%M%S") for entry in history]
        assert received == sorted(received)
