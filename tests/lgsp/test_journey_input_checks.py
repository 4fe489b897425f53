"""The province's journeys refuse inputs they cannot serve before starting (lgsp/journeys/input_checks)."""

from __future__ import annotations

import pytest

from bus.flows.journeys import InvalidStart
from lgsp.journeys.input_checks import IneligibleRequest, check_inputs
from tests.flows.citizen_stack import certificate_inputs, dossier_inputs
from tests.services.agency_people import Family, family


@pytest.fixture(scope="module")
def people() -> Family:
    return family()


def test_the_inputs_the_end_to_end_tests_use_pass(people: Family) -> None:
    check_inputs("lltp", certificate_inputs(people))
    check_inputs("dossier", dossier_inputs(people))
    check_inputs("dossier", dossier_inputs(people) | {"delivery": "counter", "parcel": None})
    check_inputs("birth", {"anything": True})  # kinds checked elsewhere pass


def test_certificate_no_2_by_proxy_is_ineligible_and_says_why(people: Family) -> None:
    proxy = {"full_name": "Trần Văn Bình", "id_number": people.adult.id_number, "relationship": "Chồng"}
    with pytest.raises(IneligibleRequest, match=r"request/proxy: certificate no. 2 .* own request"):
        check_inputs("lltp", certificate_inputs(people, certificate_type=2, proxy=proxy))
    check_inputs("lltp", certificate_inputs(people, certificate_type=1, proxy=proxy))  # no. 1 may be


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
        check_inputs("lltp", certificate_inputs(people) | change)


def test_a_malformed_declaration_is_refused_naming_its_field(people: Family) -> None:
    with pytest.raises(InvalidStart, match="request/applicant/id_number"):
        check_inputs("lltp", certificate_inputs(people, applicant={"id_number": "12"}))
    with pytest.raises(InvalidStart, match="request/dossier_number: leave it out"):
        check_inputs("lltp", certificate_inputs(people, dossier_number="H31.29-20260302-0099"))
    with pytest.raises(InvalidStart, match="request/certificate_type"):
        check_inputs("lltp", certificate_inputs(people, certificate_type=3))


def test_a_dossier_for_a_malformed_citizen_id_is_refused(people: Family) -> None:
    with pytest.raises(InvalidStart, match="citizen/id_number"):
        check_inputs("dossier", dossier_inputs(people, citizen=("Nguyễn Văn A", "0310")))
    with pytest.raises(InvalidStart, match="inputs"):
        check_inputs("dossier", ["not", "an", "object"])
