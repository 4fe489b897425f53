"""Residence adapter against the residence mock in-process: conversion, redelivery, refusals, look-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.residence import ResidenceAdapter, ResidenceConfig, create_adapter
from bus.errors import BadRequest, ProviderRejected, ProviderUnavailable
from services.residence import ResidenceSettings, create_app
from tests.adapters.agency_harness import (
    advance,
    canonical_child,
    canonical_relative,
    effects,
    envelope,
    served,
)
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

PREFIX = "VN/GOV/BCA/CSDLCT"


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def system(people: Family) -> AsyncIterator[tuple[ResidenceAdapter, httpx.AsyncClient]]:
    app = create_app(
        people.population, settings=ResidenceSettings(verification_rate=0, late_rate=0), latency=False
    )
    async with served(app, ResidenceAdapter, ResidenceConfig(base_url="http://residence")) as pair:
        yield pair


def newborn(people: Family) -> dict[str, Any]:
    return {
        "child": canonical_child(people.child),
        "household_head": {"id_number": people.head.id_number, "full_name": people.head.full_name},
        "household_book_number": people.mother.household.book_number,
        "declarant": canonical_relative(people.mother, "Mẹ"),
    }


async def test_a_newborn_registration_reaches_the_database_and_completes_by_its_appointment(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    answer = await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people)))
    assert isinstance(answer, dict)
    assert answer["dossier_number"] == "H31.29-20261207-0001" and answer["status"] == "received"
    assert answer["procedure"] == "register_newborn" and answer["outcome"] is None
    await advance(control, 24 * 7)
    query = {"dossier_number": "H31.29-20261207-0001"}
    found = await adapter.handle(envelope(f"{PREFIX}/TraCuuHoSoCuTru/v1", query))
    assert isinstance(found, dict) and found["found"] is True
    dossier = found["dossier"]
    assert dossier["status"] == "done" and dossier["finished_at"] <= dossier["due_at"]
    assert dossier["outcome"]["household_book_number"] == people.mother.household.book_number
    assert dossier["outcome"]["relation_to_head"] == "CH04"


async def test_a_redelivered_registration_gets_the_first_dossier_and_no_second_effect(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    first = await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people)))
    again = await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people)))
    assert first == again
    assert (await effects(control))["dang_ky_thuong_tru"] == 1


async def test_an_unknown_household_is_refused_naming_the_canonical_field(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, _ = system
    wrong = newborn(people) | {"household_book_number": "999999999"}
    with pytest.raises(ProviderRejected, match=r"HO_KHONG_TON_TAI.*field 'household_book_number'"):
        await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", wrong))


async def test_a_removal_of_the_deceased_is_converted_and_a_second_one_refused(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, _ = system
    today = vietnam_today().isoformat()
    removal = {
        "person": {"id_number": people.elder.id_number, "full_name": people.elder.full_name},
        "death_date": today,
        "death_extract": {"number": "15/2026", "issued_on": today, "issuer": "UBND phường Lạch Tray"},
        "source": "declaration",
    }
    answer = await adapter.handle(
        envelope(f"{PREFIX}/XoaDangKyThuongTru/v1", removal, issue="H31.29-20261207-0009")
    )
    assert isinstance(answer, dict) and answer["procedure"] == "remove_deceased"
    with pytest.raises(ProviderRejected, match=r"DA_XOA_DANG_KY.*field 'person.id_number'"):
        await adapter.handle(
            envelope(f"{PREFIX}/XoaDangKyThuongTru/v1", removal, issue="H31.29-20261207-0010")
        )


async def test_an_unknown_dossier_is_not_found_rather_than_an_error(
    system: tuple[ResidenceAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = system
    answer = await adapter.handle(
        envelope(f"{PREFIX}/TraCuuHoSoCuTru/v1", {"dossier_number": "H31.29-0000-0404"})
    )
    assert answer == {"found": False, "dossier": None}


async def test_bad_input_is_a_bad_request_and_reaches_nothing(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    with pytest.raises(BadRequest, match=r"child\.sex"):
        await adapter.handle(
            envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people) | {"child": {"sex": "x"}})
        )
    with pytest.raises(BadRequest, match="dossier_number"):
        await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people), issue="x"))
    assert (await effects(control))["dang_ky_thuong_tru"] == 0


async def test_an_outage_of_the_database_is_a_retryable_provider_error(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    await control.patch("/_control/faults", json={"outage": True})
    with pytest.raises(ProviderUnavailable):
        await adapter.handle(envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people)))


def test_factory_refuses_a_bad_config_naming_the_key() -> None:
    with pytest.raises(ValueError, match="base_url"):
        create_adapter({"base_url": "ftp://nowhere"})


async def test_without_a_dossier_number_or_issue_the_idempotency_key_keeps_one_registration(
    system: tuple[ResidenceAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    attempts = [
        envelope(f"{PREFIX}/DangKyThuongTru/v1", newborn(people), issue=None).model_copy(
            update={"idempotency_key": "portal-retry-7"}
        )
        for _ in range(2)
    ]
    assert attempts[0].correlation_id != attempts[1].correlation_id  # two separate calls by the client
    first, second = [await adapter.handle(attempt) for attempt in attempts]
    assert first == second and isinstance(first, dict)
    assert first["dossier_number"] == attempts[0].request_code
    assert (await effects(control))["dang_ky_thuong_tru"] == 1
