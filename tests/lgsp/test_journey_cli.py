"""`lgsp journey`: bad requests are refused before anything is sent; start, show and list speak to the
gateway's /journeys as the one-stop system."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from typer.testing import CliRunner

from lgsp import journey_cli
from lgsp.cli import app

MOTHER = "030190745721"  # Nguyễn Thị Hương, seed 2023
A_MAN = "031045375407"
NOBODY = "031199999999"
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
        (["lltp"], "give --inputs"),
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
    assert body["inputs"]["child"]["birth_date"] < date.today().isoformat()


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


def test_an_error_from_the_gateway_is_shown_and_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    conflict = {"type": "Client.DossierConflict", "message": "H31.29-X-1 belongs to a death journey"}
    monkeypatch.setattr(
        journey_cli, "transport", lambda: httpx.MockTransport(lambda r: httpx.Response(409, json=conflict))
    )
    result = CliRunner().invoke(app, ["journey", "start", "birth", "--dossier-code", "H31.29-X-1"])
    assert result.exit_code == 2
    assert "Client.DossierConflict" in result.output and "belongs to a death journey" in result.output
