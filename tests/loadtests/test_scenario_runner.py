"""A failed step ends its scenario's iteration (one refusal, one error), unless the scenario goes on."""

from __future__ import annotations

import random
from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Sent, Step, Steps, play
from loadtests.scenarios.civil import REGISTER_BIRTH
from loadtests.scenarios.payment import PAY_FEES
from services.citizens import Population

PEOPLE = Population()


def _two_steps(handed_back: list[Any]) -> Scenario:
    def run(_: Draw) -> Steps:
        handed_back.append((yield Step("First", {}, lambda _: None)))
        handed_back.append((yield Step("Second", {}, lambda _: None)))

    return Scenario("two steps", ("First", "Second"), run)


def _refusing(*failing: str) -> tuple[list[str], Any]:
    sent: list[str] = []

    def send(step: Step) -> Sent:
        sent.append(step.service_code or "page")
        return (False, None) if step.service_code in failing else (True, {"ok": step.service_code})

    return sent, send


def _draw() -> Draw:
    return Draw(random.Random(5), PEOPLE, "t")


def test_a_refused_step_ends_the_iteration_of_a_scenario_that_would_go_on() -> None:
    handed_back: list[Any] = []
    sent, send = _refusing("First")
    play(_two_steps(handed_back), _draw(), send)
    assert sent == ["First"]
    assert handed_back == []


def test_a_scenario_declaring_it_goes_on_gets_none_for_the_refused_step() -> None:
    handed_back: list[Any] = []
    goes_on = _two_steps(handed_back)
    goes_on = Scenario(goes_on.name, goes_on.services, goes_on.run, goes_on_after_failure=True)
    sent, send = _refusing("First")
    play(goes_on, _draw(), send)
    assert sent == ["First", "Second"]
    assert handed_back == [None, {"ok": "Second"}]


def test_answers_are_handed_back_when_every_step_succeeds() -> None:
    handed_back: list[Any] = []
    sent, send = _refusing()
    play(_two_steps(handed_back), _draw(), send)
    assert sent == ["First", "Second"]
    assert handed_back == [{"ok": "First"}, {"ok": "Second"}]


def test_birth_and_payment_stop_at_a_refusal_and_go_on_after_success() -> None:
    for scenario, first in ((REGISTER_BIRTH, "DangKyKhaiSinh"), (PAY_FEES, "KhoiTaoThanhToan")):
        sent, send = _refusing(first)
        play(scenario, _draw(), send)
        assert sent == [first]
    answers = iter([(True, {"record_id": "KS.1"}), (True, {"found": True})])
    sent_birth: list[str] = []

    def send_birth(step: Step) -> Sent:
        sent_birth.append(step.service_code)
        return next(answers)

    play(REGISTER_BIRTH, _draw(), send_birth)
    assert sent_birth == ["DangKyKhaiSinh", "TraCuuHoTich"]
