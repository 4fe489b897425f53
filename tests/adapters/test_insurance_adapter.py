"""Insurance adapter against the social-insurance mock in-process: dd/MM/yyyy conversion both ways,
redelivery, refusals in canonical field names, the dossier look-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.insurance import InsuranceAdapter, InsuranceConfig
from bus.errors import ProviderRejected
from services.casework import sixth_birthday_eve
from services.insurance import InsuranceSettings, create_app
from tests.adapters.agency_harness import advance, child_card_request, effects, envelope, served
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

PREFIX = "VN/GOV/BHXH/VSS"


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def system(people: Family) -> AsyncIterator[tuple[InsuranceAdapter, httpx.AsyncClient]]:
    settings = InsuranceSettings(late_rate=0, insured_share=1.0)
    app = create_app(people.population, settings=settings, latency=False)
    async with served(app, InsuranceAdapter, InsuranceConfig(base_url="http://bhxh")) as pair:
        yield pair


async def test_a_childs_card_is_requested_then_found_with_its_validity_in_iso_dates(
    system: tuple[InsuranceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    answer = await adapter.handle(envelope(f"{PREFIX}/CapTheBHYTTreEm/v1", child_card_request(people)))
    assert isinstance(answer, dict) and answer["status"] == "received" and answer["card"] is None
    assert answer["kind"] == "child_health_card" and answer["due_at"] > answer["received_at"]
    await advance(control, 24 * 7)
    found = await adapter.handle(
        envelope(f"{PREFIX}/TraCuuHoSo/v1", {"dossier_number": "H31.29-20261207-0001"})
    )
    assert isinstance(found, dict) and found["found"] is True
    card = found["dossier"]["card"]
    assert (
        card["card_number"].startswith("TE131") and card["valid_from"] == people.child.birth_date.isoformat()
    )
    assert card["valid_to"] == sixth_birthday_eve(people.child.birth_date).isoformat()


async def test_a_redelivered_card_request_issues_one_card(
    system: tuple[InsuranceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    first = await adapter.handle(envelope(f"{PREFIX}/CapTheBHYTTreEm/v1", child_card_request(people)))
    again = await adapter.handle(envelope(f"{PREFIX}/CapTheBHYTTreEm/v1", child_card_request(people)))
    assert first == again and (await effects(control))["the_bhyt_tre_em"] == 1


async def test_a_child_of_six_or_more_is_refused_naming_the_canonical_birth_date(
    system: tuple[InsuranceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    with pytest.raises(ProviderRejected, match=r"NGOAI_DOI_TUONG.*field 'child\.birth_date'"):
        await adapter.handle(
            envelope(f"{PREFIX}/CapTheBHYTTreEm/v1", child_card_request(people, people.school_child))
        )
    assert (await effects(control))["the_bhyt_tre_em"] == 0


async def test_a_survivor_benefit_is_claimed_and_a_bad_insurance_number_refused(
    system: tuple[InsuranceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, _ = system
    claim: dict[str, Any] = {
        "deceased": {
            "id_number": people.head.id_number,
            "full_name": people.head.full_name,
            "death_date": vietnam_today().isoformat(),
        },
        "recipient": {
            "id_number": people.mother.id_number,
            "full_name": people.mother.full_name,
            "relationship": "Vợ",
        },
    }
    wrong = claim | {"deceased": claim["deceased"] | {"social_insurance_number": "0000000000"}}
    with pytest.raises(ProviderRejected, match=r"SAI_MA_SO_BHXH.*field 'deceased\.social_insurance_number'"):
        await adapter.handle(envelope(f"{PREFIX}/GiaiQuyetTuTuat/v1", wrong, issue="H31.29-20261207-0005"))
    answer = await adapter.handle(
        envelope(f"{PREFIX}/GiaiQuyetTuTuat/v1", claim, issue="H31.29-20261207-0005")
    )
    assert (
        isinstance(answer, dict) and answer["kind"] == "survivor_benefit" and answer["status"] == "received"
    )
