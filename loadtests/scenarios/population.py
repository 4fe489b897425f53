"""Citizen verification and look-up against the national population database (BCA)."""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys

VERIFY = "XacThucThongTinCongDan"
LOOKUP = "XacMinhThongTinNhanThan"


def _verify(draw: Draw) -> Steps:
    person = draw.citizen()

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "exists")
        if problem:
            return problem
        # The provider's ~1 % "data mismatch" is a real answer, not a bus failure.
        if answer["exists"] is not True and answer.get("outcome") != "data_mismatch":
            return f"citizen {person.id_number} of the seeded population was not verified: {answer}"
        return None

    yield Step(VERIFY, {"id_number": person.id_number, "full_name": person.full_name}, check)


def _lookup(draw: Draw) -> Steps:
    person = draw.citizen()

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "found")
        if problem:
            return problem
        if answer.get("outcome") == "data_mismatch":
            return None
        citizen = answer.get("citizen") or {}
        if answer["found"] is not True or citizen.get("id_number") != person.id_number:
            return f"look-up of {person.id_number} answered {str(answer)[:120]}"
        if citizen.get("name", {}).get("full_name") != person.full_name:
            return f"look-up of {person.id_number} named {citizen.get('name')}, expected {person.full_name}"
        return None

    yield Step(LOOKUP, {"id_number": person.id_number}, check)


VERIFY_CITIZEN = Scenario("citizen verification", (VERIFY,), _verify)
LOOKUP_CITIZEN = Scenario("citizen look-up", (LOOKUP,), _lookup)
