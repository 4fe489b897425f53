"""Bad starts of the province's journeys over HTTP (`POST /journeys/{kind}` with lgsp's input checks wired
in, as `lgsp run` and `lgsp gateway` serve it): each gets the taxonomy's typed error, or the same journey
again, and changes nothing: no journey stored, no system called. On memory and on RabbitMQ + Redis (the
dossier code is claimed in the Store before the journey is written)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from bus.flows.journey_state import JourneyStatus, StepStatus
from lgsp.journeys import load_definitions
from lgsp.journeys.input_checks import check_inputs
from services.journey_forms import birth_inputs
from tests.flows.citizen_stack import CitizenStack, NationalSystems, certificate_inputs, dossier_inputs
from tests.flows.journey_stack import CLIENT, START, journeys_http

HEADERS = {"x-road-client": CLIENT, "x-api-key": f"{CLIENT}-key"}
ENDED = (JourneyStatus.COMPLETED, JourneyStatus.REFUSED, JourneyStatus.PARKED)


async def gateway(stack: CitizenStack) -> httpx.AsyncClient:
    """The `/journeys` routes over the stack's journeys, checked as lgsp's runtime checks them."""
    stack.check = check_inputs
    stack.load("dossier")
    stack.load("lltp")
    # The birth definition as declared (its services are not this stack's: no birth starts here).
    stack.definitions.append(next(d for d in load_definitions() if d.kind == "birth"))
    return await journeys_http(stack)


def birth(stack: CitizenStack, born: date, legs: list[str]) -> dict[str, Any]:
    """A birth declared on the stack's first day by the family's mother."""
    mother = stack.people.mother.id_number
    inputs = birth_inputs(
        stack.people.population,
        today=START.date(),
        mother_id=mother,
        born_on=date(2026, 3, 1),
        legs=["residence"],
    )
    child: dict[str, Any] = inputs["child"]  # type: ignore[assignment]
    return inputs | {"legs": legs, "child": child | {"birth_date": born.isoformat()}}


def appointed(stack: CitizenStack, appointment_date: str | None) -> dict[str, Any]:
    """A certificate request whose appointment date (the journey's due date) is `appointment_date`
    (None: not given)."""
    inputs = certificate_inputs(stack.people, appointment_date=appointment_date)
    if appointment_date is None:
        del inputs["request"]["appointment_date"]
    return inputs


def national(stack: CitizenStack) -> NationalSystems:
    assert stack.national is not None
    return stack.national


async def test_bad_starts_get_typed_errors_and_change_nothing(citizen_stack: CitizenStack) -> None:
    stack = citizen_stack
    async with await gateway(stack) as http:
        dossier = dossier_inputs(stack.people)
        cases = [
            ("marriage", {"dossier_code": "HS-1", "inputs": dossier}, 404, "Client.UnknownJourneyKind",
             "marriage"),
            ("dossier", {"dossier_code": "HS-2", "inputs": dossier | {"citizen": {"id_number": "0310",
             "full_name": "Nguyễn Văn A"}}}, 400, "Client.BadRequest", "citizen/id_number"),
            ("birth", {"dossier_code": "HS-3", "inputs": birth(stack, date(2026, 3, 1), ["residence"])
             | {"guardian": {"id_number": "12"}}}, 400, "Client.BadRequest", "guardian/id_number"),
            ("birth", {"dossier_code": "HS-4", "inputs": birth(stack, date(2019, 5, 1), ["insurance"])}, 422,
             "Client.IneligibleRequest", "six or over"),
            ("lltp", {"dossier_code": "HS-5", "inputs": appointed(stack, None)}, 400, "Client.BadRequest",
             "journey 'lltp' takes its due date from /inputs/request/appointment_date: it is missing"),
            ("lltp", {"dossier_code": "HS-6", "inputs": appointed(stack, "23/03/2026")}, 400,
             "Client.BadRequest", "'23/03/2026' is not a date"),
        ]  # fmt: skip
        for kind, body, status, error_type, named in cases:
            answer = await http.post(f"/journeys/{kind}", json=body, headers=HEADERS)
            assert (answer.status_code, answer.json()["type"]) == (status, error_type), answer.text
            assert named in answer.json()["message"]
            assert "location" not in answer.headers

        assert (await http.get("/journeys", headers=HEADERS)).json() == {"journeys": []}
        for code in ("HS-1", "HS-2", "HS-3", "HS-4", "HS-5", "HS-6"):
            assert await stack._journeys.find(code) is None  # type: ignore[union-attr]
        assert sum(national(stack).asked.values()) == 0
        assert (await stack.mock("payment").effects())["payments_created"] == 0
        assert stack.sink.records == []  # not one transaction


async def test_a_repeated_dossier_code_answers_its_journey_and_other_inputs_under_it_conflict(
    citizen_stack: CitizenStack,
) -> None:
    stack = citizen_stack
    async with await gateway(stack) as http:
        body = {"dossier_code": "H31.29-20260302-0101", "inputs": dossier_inputs(stack.people)}
        first = await http.post("/journeys/dossier", json=body, headers=HEADERS)
        again = await http.post("/journeys/dossier", json=body, headers=HEADERS)
        other = dossier_inputs(
            stack.people, citizen=(stack.people.mother.full_name, stack.people.mother.id_number)
        )
        conflict = await http.post("/journeys/dossier", json=body | {"inputs": other}, headers=HEADERS)
        moved = await http.post("/journeys/dossier", json=body | {"received_at": "2026-03-03T09:00:00+07:00"},
                                headers=HEADERS)  # fmt: skip

        assert first.status_code == 202 and again.status_code == 202, again.text
        assert again.json()["journey_id"] == first.json()["journey_id"]
        assert again.headers["location"] == first.headers["location"]
        for refused in (conflict, moved):
            assert refused.status_code == 409 and refused.json()["type"] == "Client.DossierConflict"
            assert "other inputs" in refused.json()["message"]
        listed = (await http.get("/journeys", headers=HEADERS)).json()["journeys"]
        assert [j["journey_id"] for j in listed] == [first.json()["journey_id"]]
        record = await stack.until(first.json()["journey_id"], lambda r: r.steps[0].status == StepStatus.DONE)
        assert record.inputs == body["inputs"]
        assert national(stack).asked["XacThucThongTinCongDan"] == 1  # one journey, looked up once


async def test_a_citizen_the_population_database_does_not_know_is_not_accepted_and_nothing_else_done(
    citizen_stack: CitizenStack,
) -> None:
    """The portal, which filed the dossier, hears it not accepted (3); no fee is asked."""
    stack = citizen_stack
    async with await gateway(stack) as http:
        nobody = dossier_inputs(stack.people, citizen=("Người Không Có", "031099999999"))  # well-formed
        started = await http.post("/journeys/dossier", json={"dossier_code": "HS-NOBODY", "inputs": nobody},
                                  headers=HEADERS)  # fmt: skip
        assert started.status_code == 202, started.text
        record = await stack.until(started.json()["journey_id"], lambda r: r.status in ENDED)

        assert record.status == JourneyStatus.REFUSED and "not_accepted" in (record.reason or "")
        assert [s.step for s in record.steps if s.transaction_ids] == ["citizen", "not_accepted"]
        assert national(stack).portal == [("HS-NOBODY", 3)]
        assert (await stack.mock("payment").effects())["payments_created"] == 0
        assert [r.service for r in stack.sink.records] == [s.service for s in record.steps[:2]]
