"""`lgsp journey`: bad requests are refused before anything is sent, or by the gateway's /journeys with
its typed error; start, show and list speak to /journeys as the one-stop system."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from bus.admin.credential import AdminCredential
from bus.auth.settings import AuthSettings
from bus.catalog import hash_api_key, load_catalog
from bus.errors import BusError
from bus.flows import (
    VIETNAM_TZ,
    Journeys,
    JourneySettings,
    ManualClock,
    RefusedFeedEntry,
    WorkingCalendar,
    feed_refusals,
)
from bus.gateway.access import AccessControl
from bus.gateway.journeys_router import journeys_router
from bus.gateway.routing import error_response
from bus.store import MemoryStore
from bus.transport import MemoryBroker, MemoryTransport
from lgsp import journey_cli
from lgsp.cli import app
from lgsp.default_catalog import DEFAULT_CATALOG
from lgsp.journeys import load_definitions
from lgsp.journeys.input_checks import check_inputs
from services.citizens import Population
from services.journey_forms import birth_inputs
from services.registry import PORTAL_DEMO_KEY
from tests.flows.citizen_stack import dossier_inputs
from tests.services.agency_people import family
from vn_calendar import vietnam_today

MOTHER = "030190745721"  # Nguyễn Thị Hương, seed 2023
A_MAN = "031045375407"
NOBODY = "031199999999"
NOW = datetime.now(VIETNAM_TZ)
ADMIN_KEY = "cli-test-admin-key"
RECORD = {
    "journey_id": "j" * 32, "kind": "birth", "dossier_code": "H31.29-20261206-0001",
    "client": "VN/GOV/HPG/MOTCUA",
    "status": "completed", "reason": None, "inputs": {}, "received_at": "2026-12-07T09:00:00+07:00",
    "due_at": "2026-12-10T17:00:00+07:00", "finished_at": "2026-12-09T10:00:00+07:00", "verdict": "early",
    "late": False, "as_of": "2026-12-09T10:00:00+07:00",
    "steps": [{"step": "register", "kind": "call", "system": "civil registry", "service": "S",
               "status": "done",
               "started_at": "2026-12-07T09:00:00+07:00", "finished_at": "2026-12-07T09:05:00+07:00",
               "due_at": "2026-12-07T17:00:00+07:00", "overdue_at": None, "verdict": "on_time",
               "transaction_ids": ["abcdef0123456789"], "calls": [], "result": None, "reason": None}],
}  # fmt: skip


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Request]]:
    """Requests the CLI sends, answered as the gateway would (202 to a start, the record to a read)."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/journeys":
            return httpx.Response(200, json={"journeys": [RECORD]})
        return httpx.Response(202 if request.method == "POST" else 200, json=RECORD)

    monkeypatch.setattr(journey_cli, "transport", lambda: httpx.MockTransport(answer))
    yield requests


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["birth", "--mother", "123"], "is not a personal ID number"),
        (["birth", "--mother", NOBODY], "nobody in the population database"),
        (["birth", "--mother", A_MAN], "cannot be a newborn's mother"),
        (["birth", "--mother", MOTHER, "--born", "2019-01-02", "--legs", "insurance"], "six or over"),
        (["birth", "--legs", "residence,passport"], "unknown legs ['passport']"),
        (["death", "--citizen", NOBODY], "nobody in the population database"),
        (["death", "--legs", ""], "at least one leg"),
    ],
)
def test_a_bad_request_is_refused_with_a_clear_error_and_nothing_is_sent(
    sent: list[httpx.Request], arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["journey", "start", *arguments])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert sent == []


def test_start_posts_the_dossier_built_from_the_population_as_the_one_stop_system(
    sent: list[httpx.Request],
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "journey",
            "start",
            "birth",
            "--mother",
            MOTHER,
            "--legs",
            "residence",
            "--dossier-code",
            "H31.29-X-1",
        ],
    )
    assert result.exit_code == 0, result.output
    (request,) = sent
    assert request.url.path == "/journeys/birth"
    assert request.headers["X-Road-Client"] == "VN/GOV/HPG/MOTCUA"
    body = json.loads(request.content)
    assert body["dossier_code"] == "H31.29-X-1"
    assert body["inputs"]["legs"] == ["residence"] and body["inputs"]["guardian"]["id_number"] == MOTHER
    assert body["inputs"]["child"]["birth_date"] < vietnam_today().isoformat()


def test_a_dossier_from_the_portal_is_filed_by_a_citizen_there_and_its_journey_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.port == 8105:  # the portal mock: it files the dossier and hands it to the province
            filed = {"procedure": "dossier", "dossier_code": RECORD["dossier_code"], "status_code": 202}
            return httpx.Response(200, json=filed | {"answer": RECORD | {"status": "running"}})
        return httpx.Response(200, json=RECORD)

    monkeypatch.setattr(journey_cli, "transport", lambda: httpx.MockTransport(answer))
    result = CliRunner().invoke(app, ["journey", "start", "dossier", "--from-portal", "--wait"])
    assert result.exit_code == 0, result.output
    assert [(r.method, r.url.port, r.url.path) for r in sent] == [
        ("POST", 8105, "/_control/portal/traffic/file"),
        ("GET", 8000, f"/journeys/{RECORD['journey_id']}"),
    ]
    assert json.loads(sent[0].content) == {"procedure": "dossier"}
    assert f"dossier {RECORD['dossier_code']}): running" in " ".join(result.output.split())
    refused = CliRunner().invoke(app, ["journey", "start", "lltp", "--from-portal"])
    assert refused.exit_code == 2 and "birth, death or dossier" in refused.output


def test_show_prints_a_row_per_step_and_list_filters_by_kind_state_and_lateness(
    sent: list[httpx.Request],
) -> None:
    shown = CliRunner().invoke(app, ["journey", "show", "j" * 32], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "register" in shown.output and "civil registry" in shown.output and "abcdef01" in shown.output
    assert "on_time" in shown.output and "verdict early" in shown.output
    listed = CliRunner().invoke(app, ["journey", "list", "--kind", "birth", "--state", "completed", "--late"])
    assert listed.exit_code == 0, listed.output
    assert dict(sent[-1].url.params) == {"limit": "50", "kind": "birth", "state": "completed", "late": "true"}


def test_show_and_list_piped_keep_each_row_on_one_line(
    sent: list[httpx.Request], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)  # CliRunner's output is no terminal: rich assumes 80
    record = RECORD | {"steps": [RECORD["steps"][0] | {"system": "police residence database"}]}  # type: ignore[index]
    answer = {"journeys": [record]}
    monkeypatch.setattr(
        journey_cli,
        "transport",
        lambda: httpx.MockTransport(
            lambda r: httpx.Response(200, json=answer if r.url.path == "/journeys" else record)
        ),
    )
    shown = CliRunner().invoke(app, ["journey", "show", "j" * 32])
    assert shown.exit_code == 0, shown.output
    rows = [line for line in shown.output.splitlines() if "register" in line]
    assert len(rows) == 1, shown.output  # squeezed to 80 columns, every cell wraps
    for cell in ("police residence database", "done", "abcdef01", "Mon 07/12 09:00", "Mon 07/12 09:05",
                 "Mon 07/12 17:00", "on_time"):  # fmt: skip
        assert cell in rows[0], shown.output
    assert max(len(line) for line in shown.output.splitlines()) > 80
    listed = CliRunner().invoke(app, ["journey", "list"])
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "j" * 32 in line]
    assert len(rows) == 1 and "H31.29-20261206-0001" in rows[0] and "Thu 10/12 17:00" in rows[0], (
        listed.output
    )


def test_an_error_from_the_gateway_is_shown_and_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    conflict = {"type": "Client.DossierConflict", "message": "H31.29-X-1 belongs to a death journey"}
    monkeypatch.setattr(
        journey_cli, "transport", lambda: httpx.MockTransport(lambda r: httpx.Response(409, json=conflict))
    )
    result = CliRunner().invoke(app, ["journey", "start", "birth", "--dossier-code", "H31.29-X-1"])
    assert result.exit_code == 2
    assert "Client.DossierConflict" in result.output and "belongs to a death journey" in result.output


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Journeys]:
    """The real `/journeys` over the province's definitions and input checks (memory), answering the CLI."""
    queue = f"lgsp-test.cli-journeys.{uuid.uuid4().hex[:8]}"
    broker, store = MemoryBroker(), MemoryStore()
    broker.declare(queue, delivery_limit=5)  # the engines' queue: the first tick waits there, unread
    catalog, transport = load_catalog(DEFAULT_CATALOG), MemoryTransport(broker)
    asyncio.run(transport.connect())
    journeys = Journeys(
        load_definitions(), store=store, transport=transport, clock=ManualClock(NOW),
        calendar=WorkingCalendar(), settings=JourneySettings(queue=queue), check=check_inputs,
    )  # fmt: skip
    app = FastAPI()
    access = AccessControl.build(catalog, store, AuthSettings())
    admin = AdminCredential((hash_api_key(ADMIN_KEY),))
    refusals = feed_refusals(store, journeys.settings)
    app.include_router(journeys_router(journeys, access, refusals, admin=admin))
    app.add_exception_handler(BusError, lambda request, error: error_response(error, None))
    monkeypatch.setattr(journey_cli, "transport", lambda: httpx.ASGITransport(app=app))
    monkeypatch.chdir(tmp_path)
    yield journeys


def _start(*arguments: str, inputs: dict[str, object] | None = None) -> Result:
    if inputs is not None:
        Path("inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
        arguments = (*arguments, "--inputs", "inputs.json")
    return CliRunner().invoke(app, ["journey", "start", *arguments], env={"COLUMNS": "300"})


def test_bad_starts_get_the_gateway_s_typed_error_and_change_nothing(gateway: Journeys) -> None:
    dossier = dossier_inputs(family())
    birth = birth_inputs(Population(), today=NOW.date(), mother_id=MOTHER, legs=["residence"])
    past_six = birth | {"legs": ["insurance"], "child": birth["child"] | {"birth_date": "2019-05-01"}}  # type: ignore[operator]
    cases = [
        (_start("marriage", "--dossier-code", "HS-C1"), "Client.UnknownJourneyKind"),
        (_start("dossier", "--dossier-code", "HS-C2"), "needs inputs"),
        (_start("dossier", "--dossier-code", "HS-C3", inputs=dossier | {"citizen": {"id_number": "0310",
         "full_name": "A"}}), "citizen/id_number"),
        (_start("birth", "--dossier-code", "HS-C4", inputs=past_six), "Client.IneligibleRequest"),
    ]  # fmt: skip
    for result, named in cases:
        assert result.exit_code == 2, result.output
        assert named in " ".join(result.output.split())
    assert asyncio.run(gateway.list()) == []


def test_a_repeated_start_prints_the_same_journey_and_other_inputs_under_its_code_conflict(
    gateway: Journeys,
) -> None:
    people = family()
    first = _start("dossier", "--dossier-code", "HS-C5", inputs=dossier_inputs(people))
    again = _start("dossier", "--dossier-code", "HS-C5", inputs=dossier_inputs(people))
    other = dossier_inputs(people, citizen=(people.mother.full_name, people.mother.id_number))
    conflict = _start("dossier", "--dossier-code", "HS-C5", inputs=other)

    assert first.exit_code == 0 and again.exit_code == 0, again.output
    (journey,) = asyncio.run(gateway.list())
    assert journey.journey_id in first.output and journey.journey_id in again.output
    assert conflict.exit_code == 2 and "Client.DossierConflict" in conflict.output
    assert journey.inputs == json.loads(json.dumps(dossier_inputs(people)))


def test_refused_feed_entries_are_listed_to_the_feeds_client_only(gateway: Journeys) -> None:
    refusals = feed_refusals(gateway.book.store, gateway.settings)
    garbled = {"position": 7, "id_number": "0310", "recorded_at": "2026-12-07T09:00:00+07:00"}
    refusal = RefusedFeedEntry(
        kind="death-feed", position=7, after=6, entry=garbled, refused_at=NOW,
        reason="journey 'death-feed' needs inputs ['/inputs/full_name']",
    )  # fmt: skip
    assert asyncio.run(refusals.record(refusal))

    def listing(*arguments: str) -> Result:
        return CliRunner().invoke(app, ["journey", "refused", *arguments], env={"COLUMNS": "300"})

    table = listing("death-feed")
    assert table.exit_code == 0, table.output
    row = next(line for line in table.output.splitlines() if "needs inputs" in line)
    assert "7" in row and "6" in row and "/inputs/full_name" in row and "0310" in row
    as_json = listing("death-feed", "--json")
    assert json.loads(as_json.output) == [json.loads(refusal.model_dump_json())]
    for arguments in (
        ("birth",),
        ("death-feed", "--client", "VN/GOV/DVCQG/PORTAL", "--key", PORTAL_DEMO_KEY),
    ):
        hidden = listing(*arguments)
        assert hidden.exit_code == 2 and "Client.UnknownJourneyKind" in hidden.output, hidden.output


def test_resume_sends_the_reason_with_the_admin_key_only(monkeypatch: pytest.MonkeyPatch) -> None:
    resumed = RECORD | {"status": "running", "interventions": [{"action": "resume", "by": "admin:0123",
                        "reason": "fixed", "at": "2026-12-09T10:00:00+07:00", "parked_reason": "x",
                        "steps": ["register"]}]}  # fmt: skip
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=resumed)

    monkeypatch.setattr(journey_cli, "transport", lambda: httpx.MockTransport(answer))
    result = CliRunner().invoke(
        app, ["journey", "resume", "j" * 32, "--reason", "VNPost fixed it", "--admin-key", "k"]
    )
    assert result.exit_code == 0, result.output
    assert "running" in result.output and "retrying register" in result.output
    (request,) = sent
    assert (request.method, request.url.path) == ("POST", f"/journeys/{'j' * 32}/resume")
    assert request.headers["x-admin-key"] == "k" and "x-api-key" not in request.headers
    assert json.loads(request.content) == {"reason": "VNPost fixed it"}
    missing = CliRunner().invoke(app, ["journey", "resume", "j" * 32, "--admin-key", "k"])
    assert missing.exit_code == 2 and len(sent) == 1  # no reason: refused before sending


def test_resume_of_an_unknown_or_running_journey_prints_the_typed_error_and_changes_nothing(
    gateway: Journeys,
) -> None:
    started = _start("dossier", "--dossier-code", "HS-C9", inputs=dossier_inputs(family()))
    assert started.exit_code == 0, started.output
    (journey,) = asyncio.run(gateway.list())
    before = asyncio.run(gateway.get(journey.journey_id))

    def resume(journey_id: str, key: str = ADMIN_KEY) -> Result:
        arguments = ["journey", "resume", journey_id, "--reason", "fixed", "--admin-key", key]
        return CliRunner().invoke(app, arguments, env={"COLUMNS": "300"})

    for result, named in (
        (resume("no-such-journey"), "Client.UnknownJourney"),
        (resume(journey.journey_id), "Client.JourneyNotParked"),
        (resume(journey.journey_id, key="a-guess"), "Client.Unauthenticated"),
    ):
        assert result.exit_code == 2, result.output
        assert named in result.output
    after = asyncio.run(gateway.get(journey.journey_id))
    assert after.model_dump(exclude={"as_of"}) == before.model_dump(exclude={"as_of"})
