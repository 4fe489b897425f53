"""Deaths and marriages registered through the mocks, laid over the citizens derived from the seed.

Only what was registered is stored (one entry per death, a few per marriage), so memory is bounded by the
registrations, never by the population's size. A deceased person's record stays readable, as it does in
the national population database, and carries the date of death (`DeceasedCitizen.death_date`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from services.citizens import models as m


class DeceasedCitizen(m.Citizen):
    """A citizen whose death was registered: the record as it stood, plus the date of death."""

    death_date: date


@dataclass
class CivilStatusChanges:
    """Stored civil-status changes by ID number: date of death and when it was recorded, marital status,
    spouse (None: no spouse)."""

    deaths: dict[str, date] = field(default_factory=dict)
    recorded: dict[str, datetime] = field(default_factory=dict)
    marital: dict[str, str] = field(default_factory=dict)
    spouses: dict[str, m.Relative | None] = field(default_factory=dict)

    def apply(self, citizen: m.Citizen) -> m.Citizen:
        """`citizen` with the registered changes; the same object when nothing was registered."""
        number = citizen.id_number
        update: dict[str, object] = {}
        if number in self.marital:
            update["marital_status"] = self.marital[number]
        if number in self.spouses:
            update["spouse"] = self.spouses[number]
        changed = citizen.model_copy(update=update) if update else citizen
        died = self.deaths.get(number)
        if died is None:
            return changed
        return DeceasedCitizen(**dict(changed), death_date=died)

    def apply_to_identity(self, number: str, identity: m.Identity) -> m.Identity:
        """`identity` of the person with ID number `number`, with the registered changes (as `apply`)."""
        marital, died = self.marital.get(number), self.deaths.get(number)
        if marital is None and died is None:
            return identity
        return replace(
            identity,
            marital_status=marital if marital is not None else identity.marital_status,
            death_date=died if died is not None else identity.death_date,
        )

    def record_death(self, deceased: m.Citizen, day: date, recorded_at: datetime) -> None:
        """Store a death recorded at `recorded_at`; a living spouse named by ID number becomes widowed
        (no spouse)."""
        self.deaths[deceased.id_number] = day
        self.recorded[deceased.id_number] = recorded_at
        spouse = deceased.spouse
        if deceased.marital_status == m.MARITAL_MARRIED and spouse is not None and spouse.id_number:
            if spouse.id_number not in self.deaths:
                self.marital[spouse.id_number] = m.MARITAL_WIDOWED
                self.spouses[spouse.id_number] = None

    def record_marriage(self, first: m.Citizen, second: m.Citizen) -> None:
        """Store a marriage: both married, each the other's spouse."""
        for me, other in ((first, second), (second, first)):
            self.marital[me.id_number] = m.MARITAL_MARRIED
            self.spouses[me.id_number] = m.Relative(
                full_name=other.full_name, id_number=other.id_number, old_id_number=other.old_id_number
            )
