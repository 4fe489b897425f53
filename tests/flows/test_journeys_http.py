"""`/journeys` over HTTP: the same credentials as `/r1`, a journey acting as its caller, 202 + Location."""

from __future__ import annotations

import httpx

from tests.flows.journey_stack import CLIENT, STRANGER, JourneyStack, journeys_http

OWN = {"x-road-client": CLIENT, "x-api-key": "journey-key"}
OTHER = {"x-road-client": STRANGER, "x-api-key": "stranger-key"}


async def http_client(stack: JourneyStack) -> httpx.AsyncClient:
    stack.define(
        {
            "kind": "birth",
            "deadline_days": 3,
            "required_inputs": ["/inputs/child"],
            "steps": [
                {"kind": "call", "id": "register", "system": "civil registry",
                 "call": {"service": stack.service("Registry"), "path": "act", "payload": {"step": "x"}}},
            ],
        }
    )  # fmt: skip
    return await journeys_http(stack)


async def test_a_journey_started_over_http_is_followed_at_its_location(journey_stack: JourneyStack) -> None:
    async with await http_client(journey_stack) as http:
        body = {"dossier_code": "HS-HTTP-1", "inputs": {"child": {"name": "An"}}}
        started = await http.post("/journeys/birth", json=body, headers=OWN)
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        assert location == f"/journeys/{started.json()['journey_id']}"

        again = await http.post("/journeys/birth", json=body, headers=OWN)
        assert again.status_code == 202 and again.headers["location"] == location

        record = await journey_stack.until(started.json()["journey_id"], lambda r: r.status == "completed")
        shown = (await http.get(location, headers=OWN)).json()
        assert shown["status"] == "completed"
        step = shown["steps"][0]
        assert (step["system"], step["status"]) == ("civil registry", "done")
        assert step["transaction_ids"] == record.steps[0].transaction_ids
        assert shown["due_at"] == "2026-03-05T17:00:00+07:00" and shown["verdict"] == "early"

        listed = (
            await http.get("/journeys", params={"kind": "birth", "state": "completed"}, headers=OWN)
        ).json()
        assert [j["journey_id"] for j in listed["journeys"]] == [record.journey_id]


async def test_journeys_need_credentials_and_stay_their_clients(journey_stack: JourneyStack) -> None:
    async with await http_client(journey_stack) as http:
        body = {"dossier_code": "HS-HTTP-2", "inputs": {"child": {}}}
        assert (await http.post("/journeys/birth", json=body)).status_code == 401
        started = await http.post("/journeys/birth", json=body, headers=OWN)
        location = started.headers["location"]

        assert (await http.get(location, headers=OTHER)).status_code == 404
        assert (await http.get("/journeys", headers=OTHER)).json() == {"journeys": []}
        taken = await http.post("/journeys/birth", json=body, headers=OTHER)
        assert taken.status_code == 409 and taken.json()["type"] == "Client.DossierConflict"
        # the stranger's own journey acts as the stranger, who has no right to the registry: parked
        mine = await http.post("/journeys/birth", json={**body, "dossier_code": "HS-HTTP-3"}, headers=OTHER)
        parked = await journey_stack.until(mine.json()["journey_id"], lambda r: r.status == "parked")
        assert "Client.AccessDenied" in (parked.reason or "")


async def test_bad_journey_starts_get_clear_errors(journey_stack: JourneyStack) -> None:
    async with await http_client(journey_stack) as http:
        unknown = await http.post("/journeys/marriage", json={"dossier_code": "HS-X"}, headers=OWN)
        assert unknown.status_code == 404 and unknown.json()["type"] == "Client.UnknownJourneyKind"
        missing = await http.post("/journeys/birth", json={"dossier_code": "HS-X"}, headers=OWN)
        assert missing.status_code == 400 and "child" in missing.json()["message"]
        for body in (b"not json", b'{"dossier_code": ""}', b'{"dossier_code": "HS-Y", "extra": 1}'):
            refused = await http.post("/journeys/birth", content=body, headers=OWN)
            assert refused.status_code == 400, body
        assert (await http.get("/journeys", headers=OWN)).json() == {"journeys": []}
        assert (await http.get("/journeys/nope", headers=OWN)).status_code == 404


async def test_a_submitter_hands_a_dossier_in_and_the_journey_acts_as_the_definitions_client(
    journey_stack: JourneyStack,
) -> None:
    stack = journey_stack
    # The stranger has no right on Registry: only as a submitter can its dossier run.
    stack.define(
        {
            "kind": "handed-in",
            "submitters": [STRANGER],
            "steps": [{"kind": "call", "id": "register",
                       "call": {"service": stack.service("Registry"), "path": "act", "payload": {}}}],
        }
    )  # fmt: skip
    async with await http_client(stack) as http:
        body = {"dossier_code": "HS-HTTP-3", "inputs": {}}
        started = await http.post("/journeys/handed-in", json=body, headers=OTHER)
        assert started.status_code == 202, started.text
        assert (started.json()["client"], started.json()["submitter"]) == (CLIENT, STRANGER)
        record = await stack.until(started.json()["journey_id"], lambda r: r.status == "completed")
        assert record.steps[0].status == "done"
        for headers in (OTHER, OWN):  # both see it: the one who handed it in and the one acting
            assert (await http.get(started.headers["location"], headers=headers)).status_code == 200
            listed = (await http.get("/journeys", params={"kind": "handed-in"}, headers=headers)).json()
            assert [j["journey_id"] for j in listed["journeys"]] == [record.journey_id]
        # Not a submitter of `birth`: the stranger's birth journey acts as the stranger (and is refused
        # the registry), as before.
        own = await http.post("/journeys/birth", json={"dossier_code": "HS-HTTP-4", "inputs": {"child": {}}},
                              headers=OTHER)  # fmt: skip
        assert (own.json()["client"], own.json()["submitter"]) == (STRANGER, None)
