"""The National Public Service Portal synchronising a dossier (DongBoHoSoMC) into the province.

The run plays the portal's sending side: a citizen's dossier is first filed on the portal mock (its own
API, not the bus), then sent through the gateway as the portal. The one-stop system reports the
dossier's progress (CapNhatTienDoHoSoMC) to the portal mock, which accepts reports only on dossiers it
knows: an unfiled dossier would turn every one of its reports into a refusal.
"""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Check, Draw, Scenario, Step, Steps, expect_keys
from services.portal.dossiers import DossierFactory

SYNC = "DongBoHoSoMC"
PORTAL_DOSSIERS = "/_control/portal/dossiers"  # the portal mock's route: file a dossier sent from outside


def _filed(number: str) -> Check:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "MaHoSo")
        if problem:
            return problem
        return None if answer["MaHoSo"] == number else f"filing of {number} answered for {answer['MaHoSo']}"

    return check


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

    yield Step("", body, _filed(number), portal_path=PORTAL_DOSSIERS)  # a refusal ends it (`play`)
    yield Step(SYNC, body, synced)


SYNC_DOSSIER = Scenario("portal dossier sync", (SYNC,), _sync, needs_portal=True)
