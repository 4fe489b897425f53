"""The civil-registry mock served over HTTP in this process, with its registry at hand to reconcile."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import uvicorn

from services.citizens import Citizen, Population
from services.civil.app import create_app
from services.civil.registry import CivilRegistry

POPULATION_SEED = 2023
POPULATION_SIZE = 3000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class CivilMock:
    """The running mock: its URL, its registry (the provider's records) and its population."""

    url: str
    registry: CivilRegistry
    population: Population

    def certificates_of(self, id_number: str) -> int:
        """How many marital-status certificates the registry holds for this person."""
        _, records = self.registry.records_of(id_number)
        return sum(1 for record in records if record.loai == "xacnhantthn")

    def adults(self, count: int, today: date) -> list[Citizen]:
        """`count` distinct living adults (18-80) of the population, in its order."""
        found: list[Citizen] = []
        for index in range(len(self.population)):
            citizen = self.population.citizen(self.population.id_at(index))
            if citizen is None:
                continue
            age = (
                today.year
                - citizen.birth_date.year
                - ((today.month, today.day) < (citizen.birth_date.month, citizen.birth_date.day))
            )
            if 18 <= age <= 80:
                found.append(citizen)
                if len(found) == count:
                    return found
        raise LookupError(f"the population has only {len(found)} adults, {count} wanted")


@asynccontextmanager
async def serving_civil_mock() -> AsyncIterator[CivilMock]:
    """The mock on a free port, without simulated latency (faults are set through its fault API)."""
    population = Population(seed=POPULATION_SEED, size=POPULATION_SIZE)
    app = create_app(population, latency=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the civil mock failed to start"
        await asyncio.sleep(0.05)
    try:
        yield CivilMock(f"http://127.0.0.1:{port}", app.state.registry, population)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
