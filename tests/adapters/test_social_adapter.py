"""Social-affairs adapter against its mock in-process: the funeral allowance claimed, decided, refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.social import SocialAdapter, SocialConfig
from bus.errors import ProviderRejected
from services.citizens import Citizen
from services.social import SocialSettings, create_app
from tests.adapters.agency_harness import advance, effects, envelope, served
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

PREFIX = "VN/GOV/BLDTBXH/BTXH"


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def system(people: Family) -> AsyncIterator[tuple[SocialAdapter, httpx.AsyncClient]]:
    app = create_app(
        people.population, settings=SocialSettings(late_rate=0, disability_share=0), latency=False
    )
    async with served(app, SocialAdapter, SocialConfig(base_url="http://btxh")) as pair:
        yield pair


def claim(people: Family, deceased: Citizen) -> dict[str, Any]:
    return {
        "deceased": {
            "id_number": deceased.id_number,
            "full_name": deceased.full_name,
            "death_date": vietnam_today().isoformat(),
        },
        "organiser": {
            "id_number": people.adult.id_number,
            "full_name": people.adult.full_name,
            "relationship": "Con",
            "address": "Số 12 Lạch Tray, Ngô Quyền, Hải Phòng",
        },
    }


async def test_a_funeral_allowance_is_claimed_once_and_decided_by_its_appointment(
    system: tuple[SocialAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    first = await adapter.handle(envelope(f"{PREFIX}/HoTroMaiTang/v1", claim(people, people.elder)))
    again = await adapter.handle(envelope(f"{PREFIX}/HoTroMaiTang/v1", claim(people, people.elder)))
    assert first == again and (await effects(control))["ho_tro_mai_tang"] == 1
    await advance(control, 24 * 8)
    found = await adapter.handle(
        envelope(f"{PREFIX}/TraCuuHoSo/v1", {"dossier_number": "H31.29-20261207-0001"})
    )
    assert isinstance(found, dict)
    dossier = found["dossier"]
    assert dossier["status"] == "decided" and dossier["finished_at"] <= dossier["due_at"]
    assert dossier["decision"]["amount_vnd"] == 10_000_000


async def test_a_deceased_without_a_monthly_allowance_is_refused_in_canonical_terms(
    system: tuple[SocialAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, _ = system
    with pytest.raises(ProviderRejected, match=r"KHONG_THUOC_DOI_TUONG.*field 'deceased\.id_number'"):
        await adapter.handle(envelope(f"{PREFIX}/HoTroMaiTang/v1", claim(people, people.head)))
