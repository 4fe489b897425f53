"""The traffic mix: every scenario and its weight, in one place.

Weights follow Hải Phòng's 2023 seed: ~956,000 online dossiers synchronised from the portal, each
checking its applicant's identity (verification, often a full look-up), civil status the largest
procedure family, half of the fees paid online, a minority of results returned by post.
"""

from __future__ import annotations

from loadtests.scenarios.base import Scenario
from loadtests.scenarios.civil import (
    CERTIFY_MARITAL_STATUS,
    LOOKUP_CIVIL_STATUS,
    REGISTER_BIRTH,
    REGISTER_MARRIAGE,
)
from loadtests.scenarios.payment import PAY_FEES
from loadtests.scenarios.population import LOOKUP_CITIZEN, VERIFY_CITIZEN
from loadtests.scenarios.portal import SYNC_DOSSIER
from loadtests.scenarios.vnpost import SEND_BY_POST

WEIGHTS: dict[Scenario, int] = {
    SYNC_DOSSIER: 20,
    VERIFY_CITIZEN: 30,
    LOOKUP_CITIZEN: 20,
    REGISTER_BIRTH: 5,
    REGISTER_MARRIAGE: 2,
    CERTIFY_MARITAL_STATUS: 3,
    LOOKUP_CIVIL_STATUS: 5,
    PAY_FEES: 10,
    SEND_BY_POST: 5,
}


def service_code(service_id: str) -> str:
    """The SERVICE part of `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION`."""
    parts = service_id.strip("/").split("/")
    return parts[-2] if len(parts) >= 2 else service_id


def available(
    catalog_ids: list[str], weights: dict[Scenario, int] | None = None
) -> tuple[dict[Scenario, int], dict[str, str], list[str]]:
    """Scenarios whose services the catalog offers, the service id of each code, and why others are out."""
    by_code = {service_code(i): i for i in catalog_ids}
    kept: dict[Scenario, int] = {}
    skipped: list[str] = []
    for scenario, weight in (weights or WEIGHTS).items():
        missing = [code for code in scenario.services if code not in by_code]
        if missing:
            skipped.append(
                f"{scenario.name}: skipped, the catalog has no {', '.join(missing)} for this client"
            )
        elif weight > 0:
            kept[scenario] = weight
    return kept, by_code, skipped
