"""A national-system mock that counts effects per dossier, idempotent on the dossier number.

`POST /register {"dossier": ...}` creates the dossier's record once (a repeat returns it again);
`ghost_rate` of first registrations answer only after `ghost_seconds`, the ambiguous failure where the
effect happened but the caller timed out. `GET /_control/effects` gives creations per dossier.
Faults (errors, hangs) come from services.faults, controlled with PATCH /_control/faults.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from fastapi import FastAPI
from pydantic import BaseModel

from services.faults.control import install_faults


class Registration(BaseModel):
    """The request: which dossier to register."""

    dossier: str


class Effects(BaseModel):
    """Creations per dossier (1 each when idempotency holds) and calls that reached the handler."""

    effects: dict[str, int]
    calls: int
    repeats: int
    ghosts: int


def create_effects_mock(*, ghost_rate: float = 0.0, ghost_seconds: float = 2.0, seed: int = 5) -> FastAPI:
    """The counting mock app."""
    app = FastAPI(title="chaos effects mock")
    install_faults(app, "chaos-registry")
    created: Counter[str] = Counter()
    tally: Counter[str] = Counter()
    draw = random.Random(seed)

    @app.post("/register")
    async def register(req: Registration) -> dict[str, object]:
        tally["calls"] += 1
        if req.dossier in created:
            tally["repeats"] += 1
            return {"dossier": req.dossier, "created": False}
        created[req.dossier] += 1
        if draw.random() < ghost_rate:
            tally["ghosts"] += 1
            await asyncio.sleep(ghost_seconds)
        return {"dossier": req.dossier, "created": True}

    @app.get("/_control/effects")
    async def effects() -> Effects:
        return Effects(
            effects=dict(created), calls=tally["calls"], repeats=tally["repeats"], ghosts=tally["ghosts"]
        )

    return app
