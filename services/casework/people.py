"""Checks every agency mock makes of the people a request names, against the shared seeded population."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Protocol

from services.casework.errors import AgencyError
from services.citizens import Citizen
from services.citizens.civil_status import DeceasedCitizen
from vn_calendar import anniversary


class People(Protocol):
    """Where people are found: a Population, or a PeopleDirectory that also asks the national database."""

    def citizen(self, id_number: str) -> Citizen | None:
        """The person, or None; ValueError for a malformed number."""
        ...


def same_name(left: str, right: str) -> bool:
    """Names match when equal after Unicode NFC, case folding and whitespace collapsing."""

    def norm(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).casefold().split())

    return norm(left) == norm(right)


def sixth_birthday_eve(birth: date) -> date:
    """The day before the sixth birthday, by the law's age rule (vn_calendar.ages: a child born on
    29 February turns six on 28 February of a common year, so this is the 27th)."""
    return anniversary(birth, 6) - timedelta(days=1)


class PersonCheck:
    """Finds a named person among `people`, refusing with the system's own codes."""

    def __init__(self, people: People, *, invalid: str, not_found: str, mismatch: str) -> None:
        self.people = people
        self.invalid, self.not_found, self.mismatch = invalid, not_found, mismatch

    def find(self, id_number: str, name: str | None, *, id_field: str, name_field: str) -> Citizen:
        """The person with `id_number` whose name is `name` (when given); AgencyError otherwise."""
        try:
            person = self.people.citizen(id_number)
        except ValueError as exc:
            raise AgencyError(422, self.invalid, f"{id_field}: {exc}", id_field) from None
        if person is None:
            message = f"no person with ID number {id_number} in the population database"
            raise AgencyError(404, self.not_found, message, id_field)
        if name is not None and not same_name(person.full_name, name):
            message = f"{name_field}: {name!r} does not match the record of {id_number}"
            raise AgencyError(422, self.mismatch, message, name_field)
        return person

    def check_birth(self, person: Citizen, given: date, field: str) -> None:
        """Refuse a date of birth that differs from the record."""
        if person.birth_date != given:
            raise AgencyError(
                422, self.mismatch, f"{field}: {given} does not match the record of {person.id_number}", field
            )

    def check_death(self, person: Citizen, died: date, today: date, field: str) -> None:
        """Refuse a date of death in the future, before the birth, or unlike a recorded one."""
        if died > today:
            raise AgencyError(422, self.invalid, f"{field}: the date of death {died} is in the future", field)
        if died < person.birth_date:
            raise AgencyError(422, self.invalid, f"{field}: the date of death is before the birth", field)
        if isinstance(person, DeceasedCitizen) and person.death_date != died:
            raise AgencyError(
                422, self.mismatch, f"{field}: the population database records the death on "
                f"{person.death_date}, not {died}", field,
            )  # fmt: skip
