"""An agency mock served in-process to its adapter (ASGI transport), with a control client beside it, and
the canonical people and requests the agency adapters' tests send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import httpx
from fastapi import FastAPI

from bus.envelope import Envelope
from services.citizens import Citizen
from tests.services.agency_people import Family


class Adapter(Protocol):
    async def close(self) -> None: ...


AdapterT = TypeVar("AdapterT", bound=Adapter)


@asynccontextmanager
async def served(
    app: FastAPI, make_adapter: type[AdapterT], config: Any
) -> AsyncIterator[tuple[AdapterT, httpx.AsyncClient]]:
    """(adapter calling `app`, a client on `app` for its control routes)."""
    transport = httpx.ASGITransport(app=app)
    adapter = make_adapter(config, transport=transport)  # type: ignore[call-arg]
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as control:
        yield adapter, control
    await adapter.close()


def envelope(service: str, payload: Any, issue: str | None = "H31.29-20261207-0001") -> Envelope:
    """A request from the province's one-stop system, carrying the dossier code as its issue."""
    return Envelope(client="VN/GOV/HPG/MOTCUA", service=service, payload=payload, issue=issue).with_deadline(
        5
    )


async def advance(control: httpx.AsyncClient, hours: float) -> None:
    """Move the mock's simulated clock forward."""
    assert (await control.post("/_control/clock/advance", json={"hours": hours})).status_code == 200


async def effects(control: httpx.AsyncClient) -> dict[str, int]:
    """The mock's effect counters."""
    answer: dict[str, int] = (await control.get("/_control/effects")).json()
    return answer


def canonical_child(child: Citizen) -> dict[str, str]:
    """A child as the canonical requests name one: number, name, birth date, sex."""
    return {
        "id_number": child.id_number,
        "full_name": child.full_name,
        "birth_date": child.birth_date.isoformat(),
        "sex": "male" if child.sex == "M" else "female",
    }


def canonical_relative(person: Citizen, relationship: str) -> dict[str, str]:
    """A person named with their relationship to the one the request is about."""
    return {"id_number": person.id_number, "full_name": person.full_name, "relationship": relationship}


def child_card_request(people: Family, child: Citizen | None = None) -> dict[str, Any]:
    """A health-insurance card for `child` (the family's newborn by default), asked by the mother."""
    return {
        "child": canonical_child(child or people.child),
        "guardian": canonical_relative(people.mother, "Mẹ"),
    }
