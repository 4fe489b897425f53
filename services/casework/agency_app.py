"""The FastAPI app every agency mock starts from: the simulated clock and its control routes, injected
faults, the `{maLoi, thongBao, truong}` errors, and the people directory (closed with the app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from services.casework.control import clock_router
from services.casework.directory import PeopleDirectory, close_directory, people_of
from services.casework.errors import install_agency_errors
from services.citizens import Population
from services.clock import SimulatedClock
from services.faults import FaultProfile, Latency, install_faults


@dataclass(frozen=True)
class AgencyBase:
    """What an agency mock builds on."""

    app: FastAPI
    clock: SimulatedClock
    people: PeopleDirectory


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

    app = FastAPI(title=title, version="1", lifespan=lifespan)
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
