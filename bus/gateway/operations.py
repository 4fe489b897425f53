"""Operational views of the bus's own reliability state: the providers' circuit breakers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, params

from bus.catalog import Catalog
from bus.reliability.breaker import breaker_states
from bus.store.base import Store


def operations_router(
    catalog: Catalog, store: Store, *, dependencies: Sequence[params.Depends] = ()
) -> APIRouter:
    """`GET /monitoring/breakers`: each provider's circuit (closed, open, half-open) as workers share it;
    `dependencies` guard it (the monitoring credential)."""
    router = APIRouter(tags=["operations"], dependencies=list(dependencies))
    providers = sorted({s.adapter for s in catalog.services})

    @router.get("/monitoring/breakers")
    async def breakers() -> dict[str, Any]:
        """Circuit-breaker state per provider adapter."""
        states = await breaker_states(store, providers)
        return {"breakers": [state.model_dump(mode="json") for state in states]}

    return router
