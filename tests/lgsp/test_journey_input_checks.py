"""The province's journeys refuse inputs they cannot serve before starting (lgsp/journeys/input_checks)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bus.flows import VIETNAM_TZ
from bus.flows.journeys import IneligibleStart, InvalidStart
from lgsp.journeys.input_checks import birth_refusal, check_inputs
from services.casework import sixth_birthday_eve
from services.citizens import Population
from services.journey_forms import birth_inputs
from tests.flows.citizen_stack import certificate_inputs, dossier_inputs
from tests.services.agency_people import Family, family

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM_TZ)
MOTHER = "030190745721"  # Nguyễn Thị Hương, seed 2023


@pytest.fixture(scope="module")
def people() -> Family:
    return family()


def test_the_inputs_the_end_to_end_tests_use_pass(people: Family) -> None:
    check_inputs("lltp", certificate_inputs(people), RECEIVED)
    check_inputs("dossier", dossier_inputs(people), RECEIVED)
    check_inputs("dossier", dossier_inputs(people) | {"delivery": "counter", "parcel": None}, RECEIVED)
    check_inputs("lltp-revocation", {"anything": True}, RECEIVED)  # kinds without a check pass


def test_certificate_no_2_by_proxy_is_ineligible_and_says_why(people: Family) -> None:
    proxy = {"full_name": "Trần Văn Bình", "id_number": people.adult.id_number, "relationship": "Chồng"}
    with pytest.raises(IneligibleStart, match=r"request/proxy: certificate no. 2 .* own request"):
        check_inputs("lltp", certificate_inputs(people, certificate_type=2, proxy=proxy), RECEIVED)
    check_inputs("lltp", certificate_inputs(people, certificate_type=1, proxy=proxy), RECEIVED)  # no. 1 may


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"several_places": "maybe"}, "several_places"),
        ({"delivery": "drone"}, "delivery"),
        ({"delivery": "post", "parcel": None}, "parcel"),
        ({"received_at": "2026-03-02T09:00:00"}, "received_at"),  # no offset: whose 09:00?
        ({"fee": {"code": "LP01"}}, "fee/amount_vnd"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_malformed_certificate_inputs_are_refused_naming_the_field(
    people: Family, change: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidStart, match=named):
        check_inputs("lltp", certificate_inputs(people) | change, RECEIVED)


def test_a_malformed_declaration_is_refused_naming_its_field(people: Family) -> None:
    with pytest.raises(InvalidStart, match="request/applicant/id_number"):
        check_inputs("lltp", certificate_inputs(people, applicant={"id_number": "12"}), RECEIVED)
    with pytest.raises(InvalidStart, match="request/dossier_number: leave it out"):
        check_inputs("lltp", certificate_inputs(people, dossier_number="H31.29-20260302-0099"), RECEIVED)
    with pytest.raises(InvalidStart, match="request/certificate_type"):
        check_inputs("lltp", certificate_inputs(people, certificate_type=3), RECEIVED)


def test_a_dossier_for_a_malformed_citizen_id_is_refused(people: Family) -> None:
    with pytest.raises(InvalidStart, match="citizen/id_number"):
        check_inputs("dossier", dossier_inputs(people, citizen=("Nguyễn Văn A", "0310")), RECEIVED)
    with pytest.raises(InvalidStart, match="inputs"):
        check_inputs("dossier", ["not", "an", "object"], RECEIVED)


@pytest.fixture(scope="module")
def birth() -> dict[str, Any]:
    """A birth declared on RECEIVED's day by a real mother of the seeded population, all legs."""
    return birth_inputs(Population(), today=RECEIVED.date(), mother_id=MOTHER)


def test_a_birth_with_a_child_s_card_past_six_is_ineligible_and_a_younger_child_s_is_not(
    birth: dict[str, Any],
) -> None:
    check_inputs("birth", birth, RECEIVED)
    six = birth | {"child": birth["child"] | {"birth_date": "2020-03-02"}}  # six on the day received
    with pytest.raises(IneligibleStart, match=r"child/birth_date: .* six or over"):
        check_inputs("birth", six, RECEIVED)
    check_inputs("birth", six | {"legs": ["residence"], "bundle": "KS-TT"}, RECEIVED)  # no card asked
    check_inputs("birth", birth | {"child": birth["child"] | {"birth_date": "2020-03-03"}}, RECEIVED)
    unborn = birth | {"child": birth["child"] | {"birth_date": "2026-03-03"}}
    with pytest.raises(IneligibleStart, match="after the day the dossier was received"):
        check_inputs("birth", unborn, RECEIVED)


@pytest.mark.parametrize(
    ("kind", "change", "named"),
    [
        ("birth", {"mother": {"id_document_number": "0301"}}, "mother/id_document_number"),
        ("birth", {"guardian": {"id_number": "03019074572X"}}, "guardian/id_number"),
        ("birth", {"legs": ["residence", "passport"]}, "legs/1"),
        ("birth", {"legs": []}, "legs"),
        ("death", {"deceased": {"id_number": "12345"}}, "deceased/id_number"),
        ("death", {"relative": None}, "relative"),
    ],
)
def test_interconnected_inputs_with_a_malformed_id_number_or_leg_are_refused_naming_it(
    birth: dict[str, Any], kind: str, change: dict[str, Any], named: str
) -> None:
    death = {"legs": ["residence"], "deceased": {"id_number": MOTHER}, "requester": birth["requester"],
             "relative": {"id_number": birth["guardian"]["id_number"]}}  # fmt: skip
    check_inputs("death", death, RECEIVED)
    with pytest.raises(InvalidStart, match=named):
        check_inputs(kind, (birth if kind == "birth" else death) | change, RECEIVED)


def test_a_child_born_on_29_february_is_six_on_28_february_on_the_bus_and_at_the_insurance_fund() -> None:
    born = date(2024, 2, 29)
    assert birth_refusal(born, date(2030, 2, 27), ["insurance"]) is None
    refused = birth_refusal(born, date(2030, 2, 28), ["insurance"])
    assert refused is not None and "six or over" in refused
    assert birth_refusal(born, date(2030, 2, 28), ["residence"]) is None  # no card asked
    # One rule on both sides: the bus refuses the card from the day after the fund's last day of it.
    for born in (date(2024, 2, 29), date(2020, 2, 29), date(2023, 2, 28), date(2024, 3, 1)):
        eve = sixth_birthday_eve(born)
        for today in (eve - timedelta(days=1), eve, eve + timedelta(days=1), eve + timedelta(days=2)):
            refused = birth_refusal(born, today, ["insurance"]) is not None
            assert refused == (today > eve), (born, today)
