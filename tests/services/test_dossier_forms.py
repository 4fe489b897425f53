"""The ordinary dossier journey's inputs drawn from the seeded population (services/journey_forms.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from services.citizens import Population
from services.journey_forms import (
    DossierFee,
    DossierProcedure,
    IneligibleRequest,
    UnknownCitizen,
    age_on,
    dossier_inputs,
    first_fitting,
)

VIETNAM = timezone(timedelta(hours=7))
RECEIVED = datetime(2026, 12, 7, 9, 30, tzinfo=VIETNAM)
FEE = DossierFee("LP-TLHT", "Lệ phí cấp bản sao trích lục", 8_000, "2.000908", "2.000908.H31", "H31.29")
PROCEDURE = DossierProcedure(
    "2.000908", "Thủ tục cấp bản sao trích lục hộ tịch", "HT", "Hộ tịch", "2.000908.H31"
)


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=3_000)


def test_an_adults_dossier_returns_the_result_by_post_to_their_permanent_address(
    population: Population,
) -> None:
    inputs: dict[str, Any] = dossier_inputs(population, received_at=RECEIVED, fee=FEE, procedure=PROCEDURE)
    person = population.citizen(inputs["citizen"]["id_number"])
    assert person is not None and age_on(person, RECEIVED.date()) >= 18
    assert inputs["citizen"] == {"id_number": person.id_number, "full_name": person.full_name}
    assert inputs["received_at"] == "2026-12-07T09:30:00+07:00"
    assert inputs["fee"]["amount_vnd"] == 8_000 and inputs["fee"]["agency_code"] == "H31.29"
    assert inputs["procedure"]["field_code"] == "HT" and inputs["procedure"]["code"] == "2.000908"
    receiver = inputs["parcel"]["receiver"]
    assert receiver["name"] == person.full_name
    assert receiver["province_code"] == person.permanent_address.province
    assert receiver["district_code"] == person.permanent_address.district
    assert inputs["delivery"] == "post"


def test_a_counter_return_has_no_parcel(population: Population) -> None:
    inputs = dossier_inputs(
        population, received_at=RECEIVED, fee=FEE, procedure=PROCEDURE, delivery="counter"
    )
    assert inputs["delivery"] == "counter" and "parcel" not in inputs


def test_a_minor_an_unknown_number_a_bad_delivery_and_a_naive_time_are_refused(
    population: Population,
) -> None:
    child = first_fitting(population, lambda p: age_on(p, date(2026, 12, 7)) < 10, "child")
    with pytest.raises(IneligibleRequest, match="minor"):
        dossier_inputs(
            population, received_at=RECEIVED, fee=FEE, procedure=PROCEDURE, citizen_id=child.id_number
        )
    with pytest.raises(UnknownCitizen):
        dossier_inputs(population, received_at=RECEIVED, fee=FEE, procedure=PROCEDURE, citizen_id="12345")
    with pytest.raises(IneligibleRequest, match="delivery"):
        dossier_inputs(population, received_at=RECEIVED, fee=FEE, procedure=PROCEDURE, delivery="drone")
    with pytest.raises(ValueError, match="offset"):
        dossier_inputs(population, received_at=RECEIVED.replace(tzinfo=None), fee=FEE, procedure=PROCEDURE)
