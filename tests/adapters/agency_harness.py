"""An agency mock served in-process to its adapter (ASGI transport), with a control client beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import httpx
from fastapi import FastAPI

from bus.envelope import Envelope


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
