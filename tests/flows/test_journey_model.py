"""Journey definitions: what a valid one looks like, and the typed error each mistake gets."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import JsonValue

from bus.flows.journey_model import (
    CallStep,
    DuplicateStep,
    JourneyDefinitionError,
    StepCycle,
    UnknownStepReference,
    UnreachableResult,
    load_journey,
)
from bus.flows.journey_paths import Condition, MissingValue, render

SERVICE = "VN/GOV/HPG/REG/Echo/v1"
CLIENT = "VN/GOV/HPG/MOTCUA"
BASE: dict[str, Any] = {
    "kind": "birth",
    "client": "VN/GOV/HPG/MOTCUA",
    "steps": [
        {
            "kind": "call",
            "id": "register",
            "call": {"service": SERVICE, "payload": {"child": "${/inputs/child}"}},
        },
        {
            "kind": "call",
            "id": "residence",
            "call": {"service": SERVICE, "payload": "${/steps/register/result}"},
        },
        {"kind": "call", "id": "insurance", "after": ["register"], "call": {"service": SERVICE}},
        {"kind": "call", "id": "notify", "after": ["residence", "insurance"], "call": {"service": SERVICE}},
    ],
}


def changed(change: Callable[[list[dict[str, Any]]], object]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data["steps"])
    return data


def test_steps_follow_the_one_before_unless_they_say_otherwise() -> None:
    journey = load_journey(BASE)
    assert journey.predecessors("register") == ()
    assert journey.predecessors("residence") == ("register",)
    assert journey.predecessors("notify") == ("residence", "insurance")
    assert journey.ancestors("notify") == {"register", "residence", "insurance"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda steps: steps[1].update(id="register"), DuplicateStep),
        (lambda steps: steps[2].update(after=["nowhere"]), UnknownStepReference),
        (lambda steps: steps[0].update(after=["notify"]), StepCycle),
        (lambda steps: steps[3]["call"].update(payload="${/steps/ghost/result}"), UnknownStepReference),
        (lambda steps: steps[2]["call"].update(payload="${/steps/residence/result}"), UnreachableResult),
        (lambda steps: steps[1].update(after=[]), UnreachableResult),
        (lambda steps: steps[0]["call"].update(path="${/secrets/key}"), JourneyDefinitionError),
        (lambda steps: steps[0].update(when=[{"at": "/steps/notify/x", "exists": True}]), UnreachableResult),
    ],
    ids=["duplicate", "unknown-after", "cycle", "unknown-pointer", "sibling-result", "no-longer-after",
         "outside-context", "condition-on-a-later-step"],
)  # fmt: skip
def test_a_definition_that_cannot_run_gets_its_typed_error(
    change: Callable[[list[dict[str, Any]]], object], error: type[JourneyDefinitionError]
) -> None:
    with pytest.raises(error):
        load_journey(changed(change))


def test_a_due_date_is_taken_from_one_input_or_counted_in_working_days_not_both() -> None:
    appointed = load_journey(BASE | {"due_from": "/inputs/appointment_date"})
    assert appointed.due_from == "/inputs/appointment_date" and appointed.deadline_days is None
    for due_from in ("/steps/register/result/date", "/inputs", "inputs.appointment_date"):
        with pytest.raises(JourneyDefinitionError, match=r"journey 'birth': due_from .* must name an input"):
            load_journey(BASE | {"due_from": due_from})
    with pytest.raises(JourneyDefinitionError, match="journey 'birth': due_from and deadline_days"):
        load_journey(BASE | {"due_from": "/inputs/appointment_date", "deadline_days": 10})


def test_a_compensation_may_read_its_own_steps_result() -> None:
    def undo(steps: list[dict[str, Any]]) -> None:
        steps[0]["compensation"] = {"service": SERVICE, "path": "cancel/${/steps/register/result/reference}"}

    assert load_journey(changed(undo)).steps[0].compensation is not None  # type: ignore[union-attr]


def test_a_compensations_conditions_may_read_any_step_but_not_an_unknown_one() -> None:
    def undo_unless(at: str) -> Callable[[list[dict[str, Any]]], None]:
        def change(steps: list[dict[str, Any]]) -> None:
            steps[0]["compensation"] = {"service": SERVICE, "when": [{"at": at, "exists": False}]}

        return change

    later = load_journey(changed(undo_unless("/steps/notify/result/status"))).steps[0]
    assert isinstance(later, CallStep) and later.compensation is not None
    assert [condition.at for condition in later.compensation.when] == ["/steps/notify/result/status"]
    with pytest.raises(UnknownStepReference, match="ghost"):
        load_journey(changed(undo_unless("/steps/ghost/result")))
    with pytest.raises(JourneyDefinitionError, match="pointers start with"):
        load_journey(changed(undo_unless("/secrets/key")))


def test_a_malformed_definition_is_a_definition_error_naming_the_field() -> None:
    with pytest.raises(JourneyDefinitionError, match="service"):
        load_journey(changed(lambda steps: steps[0]["call"].update(service="not-a-service")))
    with pytest.raises(JourneyDefinitionError, match=r"discriminator|kind"):
        load_journey(changed(lambda steps: steps[0].pop("kind")))


def test_templates_keep_a_whole_values_type_and_put_text_into_strings() -> None:
    context: JsonValue = {"inputs": {"child": {"name": "An", "born": 2026}, "fee": 20000}}
    template: JsonValue = {
        "who": "${/inputs/child}",
        "label": "child ${/inputs/child/name} (${/inputs/fee} VND)",
        "n": 3,
    }
    assert render(template, context) == {
        "who": {"name": "An", "born": 2026},
        "label": "child An (20000 VND)",
        "n": 3,
    }
    with pytest.raises(MissingValue):
        render("${/inputs/mother}", context)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"at": "/status", "equals": 6}, True),
        ({"at": "/status", "equals": "6"}, False),
        ({"at": "/status", "one_of": [4, 6]}, True),
        ({"at": "/legs", "contains": "insurance"}, True),
        ({"at": "/legs", "contains": "police"}, False),
        ({"at": "/note", "contains": "ok"}, True),
        ({"at": "/note", "contains": 1}, False),
        ({"at": "/missing", "exists": False}, True),
        ({"at": "/missing", "equals": None}, False),
        ({"at": "/nothing", "equals": None}, True),
        ({"at": "/status", "not_equals": 6}, False),
        ({"at": "/status", "not_equals": 4}, True),
        ({"at": "/missing", "not_equals": 6}, True),  # nothing there: not a 6 either
        ({"at": "/nothing", "not_equals": None}, False),
    ],
)
def test_conditions(condition: dict[str, Any], holds: bool) -> None:
    document: JsonValue = {
        "status": 6,
        "legs": ["residence", "insurance"],
        "note": "ok then",
        "nothing": None,
    }
    assert Condition.model_validate(condition).holds(document) is holds


def test_a_condition_has_exactly_one_test() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Condition.model_validate({"at": "/a", "equals": 1, "exists": True})
    with pytest.raises(ValueError, match="pointer"):
        Condition.model_validate({"at": "a", "exists": True})


def wait(**fields: Any) -> dict[str, Any]:
    return {"kind": "wait", "id": "paid", "match": {"at": "/reference", "equals": "${/inputs/ref}"}} | fields


def test_a_wait_awaits_one_event_type_or_several_and_refuses_only_on_types_it_awaits() -> None:
    one = load_journey({"kind": "fee", "client": CLIENT, "steps": [wait(event="payment.confirmed")]})
    assert one.steps[0].event == ("payment.confirmed",)  # type: ignore[union-attr]
    both = wait(event=["payment.confirmed", "payment.failed"], refuse_on=["payment.failed"])
    assert load_journey({"kind": "fee", "client": CLIENT, "steps": [both]}).steps[0].refuse_on == (  # type: ignore[union-attr]
        "payment.failed",
    )
    for bad, message in (
        (wait(event=["payment.confirmed"], refuse_on=["payment.failed"]), "does not await"),
        (wait(event=["payment.failed", "payment.failed"]), "twice"),
        (wait(event=[]), "event"),
    ):
        with pytest.raises(JourneyDefinitionError, match=message):
            load_journey({"kind": "fee", "client": CLIENT, "steps": [bad]})


def test_the_definition_in_docs_journeys_loads() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "JOURNEYS.md").read_text(encoding="utf-8")
    block = re.findall(r"```yaml\n(.*?)```", page, re.S)[0]  # the definition; the next shows `feed:` alone
    journey = load_journey(yaml.safe_load(block))
    assert [step.id for step in journey.steps] == ["register", "residence", "card", "paid"]
    assert journey.predecessors("paid") == ("residence", "card")
