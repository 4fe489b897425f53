"""The National Public Service Portal synchronising a dossier (DongBoHoSoMC) into the province."""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys
from services.portal.dossiers import DossierFactory

SYNC = "DongBoHoSoMC"


def _sync(draw: Draw) -> Steps:
    dossier = DossierFactory(draw.population, seed=draw.rng.randrange(2**31)).next_dossier()
    number = draw.unique("H31")
    body = dossier.model_dump() | {"MaHoSo": number}

    def synced(answer: Any) -> str | None:
        # The province's receipt: our dossier number (a mixed-up answer is worse than none) and its own id.
        problem = expect_keys(answer, "dossier_number", "system_id", "received_at")
        if problem:
            return problem
        if answer["dossier_number"] != number:
            return f"sync of {number} answered for {answer['dossier_number']}"
        return None if answer["system_id"] else f"sync of {number} answered without the system's id"

    yield Step(SYNC, body, synced)


SYNC_DOSSIER = Scenario("portal dossier sync", (SYNC,), _sync)
