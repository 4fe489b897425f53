"""The FastAPI app every agency mock starts from: the simulated clock and its control routes, injected
faults, the `{maLoi, thongBao, truong}` errors, the people directory (closed with the app), and the
answer to a new or replayed dossier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.casework.control import clock_router, effects_router
from services.casework.directory import PeopleDirectory, close_directory, people_of
from services.casework.errors import install_agency_errors
from services.casework.settings import AgencyMockSettings
from services.citizens import Population
from services.clock import SimulatedClock
from services.faults import FaultProfile, Latency, install_faults
from services.telemetry import NO_TELEMETRY


@dataclass(frozen=True)
class AgencyBase:
    """What an agency mock builds on."""

    app: FastAPI
    clock: SimulatedClock
    people: PeopleDirectory

    def serve(self, state_name: str, desk: object, routes: APIRouter, effects: BaseModel) -> FastAPI:
        """The app with the mock's `desk` as `app.state.<state_name>`, its routes and its effects."""
        setattr(self.app.state, state_name, desk)
        self.app.include_router(routes)
        self.app.include_router(effects_router(effects))
        return self.app


def agency_app(
    *,
    title: str,
    name: str,
    population: Population,
    population_url: str | None,
    population_transport: httpx.AsyncBaseTransport | None,
    clock_speed: float,
    latency: Latency,
    code_field: str = "maHoSo",
) -> AgencyBase:
    """A new agency app named `name` (its fault-control name) over `population`."""
    clock = SimulatedClock(clock_speed)
    people = people_of(population, population_url, population_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await close_directory(people)

    app = FastAPI(title=title, version="1", lifespan=lifespan, telemetry=NO_TELEMETRY)
    install_faults(app, name, FaultProfile(latency=latency))
    install_agency_errors(
        app,
        invalid="DU_LIEU_KHONG_HOP_LE",
        conflict="TRUNG_MA_HO_SO",
        unknown="HO_SO_KHONG_TON_TAI",
        field_names={"code": code_field},
    )
    app.include_router(clock_router(clock))
    return AgencyBase(app, clock, people)


def agency_mock_app(
    settings: AgencyMockSettings,
    *,
    title: str,
    name: str,
    population: Population | None,
    population_transport: httpx.AsyncBaseTransport | None,
    latency: Latency,
    code_field: str = "maHoSo",
) -> AgencyBase:
    """`agency_app` as the mock's `settings` describe it; `population` defaults to the one they name."""
    if population is None:
        population = Population(settings.population_seed, settings.population_size, settings.province_code)
    return agency_app(
        title=title,
        name=name,
        population=population,
        population_url=settings.population_url,
        population_transport=population_transport,
        clock_speed=settings.clock_speed,
        latency=latency,
        code_field=code_field,
    )


def created_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of a route taking in a dossier: 201 new, 200 replayed, both `model`."""
    return {201: {"model": model}, 200: {"model": model}}


def dossier_answer(dossier: BaseModel, replayed: bool) -> JSONResponse:
    """A dossier taken in: 201 when new, 200 with `X-Idempotent-Replay: true` when the same request came
    again."""
    headers = {"X-Idempotent-Replay": "true" if replayed else "false"}
    body = dossier.model_dump(mode="json")
    return JSONResponse(body, status_code=200 if replayed else 201, headers=headers)
