"""The National Public Service Portal synchronising a dossier (DongBoHoSoMC) into the province."""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps
from services.portal.dossiers import DossierFactory

SYNC = "DongBoHoSoMC"


def _sync(draw: Draw) -> Steps:
    dossier = DossierFactory(draw.population, seed=draw.rng.randrange(2**31)).next_dossier()
    number = draw.unique("H31")
    body = dossier.model_dump() | {"MaHoSo": number}

    def synced(answer: Any) -> str | None:
        if not isinstance(answer, dict):
            return f"dossier sync answered {str(answer)[:80]}"
        # Any echo of a dossier number must be ours: a mixed-up answer is worse than none.
        echoed = answer.get("MaHoSo") or answer.get("dossier_number")
        return None if echoed in (None, number) else f"sync of {number} answered for {echoed}"

    yield Step(SYNC, body, synced)


SYNC_DOSSIER = Scenario("portal dossier sync", (SYNC,), _sync)
