"""Citizen verification and look-up against the national population database (BCA)."""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys

VERIFY = "XacThucThongTinCongDan"
LOOKUP = "XacMinhThongTinNhanThan"


def _verify(draw: Draw) -> Steps:
    number, person = draw.identity()

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "exists")
        if problem:
            return problem
        # The provider's ~1 % "data mismatch" is a real answer, not a bus failure.
        if answer["exists"] is not True and answer.get("outcome") != "data_mismatch":
            return f"citizen {number} of the seeded population was not verified: {answer}"
        return None

    yield Step(VERIFY, {"id_number": number, "full_name": person.full_name}, check)


def _lookup(draw: Draw) -> Steps:
    number, person = draw.identity()

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "found")
        if problem:
            return problem
        if answer.get("outcome") == "data_mismatch":
            return None
        citizen = answer.get("citizen") or {}
        if answer["found"] is not True or citizen.get("id_number") != number:
            return f"look-up of {number} answered {str(answer)[:120]}"
        if citizen.get("name", {}).get("full_name") != person.full_name:
            return f"look-up of {number} named {citizen.get('name')}, expected {person.full_name}"
        return None

    yield Step(LOOKUP, {"id_number": number}, check)


VERIFY_CITIZEN = Scenario("citizen verification", (VERIFY,), _verify)
LOOKUP_CITIZEN = Scenario("citizen look-up", (LOOKUP,), _lookup)
