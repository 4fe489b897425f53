"""Citizens who file interconnected dossiers on the portal, drawn from the seeded population with a seeded
generator: the same seed draws the same people, in the same order, in every process.

A birth is filed by a mother (a woman of 18 to 50) for a child born the day before; a death is declared
for a living person of 60 or more who is not the head of their household, by that head. Nobody is
declared dead twice by one generator. An ordinary dossier with a fee and a judicial-record certificate
(no. 1 or 2, returned by VNPost or at the counter) are filed by an adult.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime
from typing import Literal

from pydantic import JsonValue

from services.citizens import Citizen, Population
from services.journey_forms import (
    BIRTH_LEGS,
    DELIVERIES,
    DossierFee,
    DossierProcedure,
    IneligibleRequest,
    age_on,
    birth_inputs,
    certificate_inputs,
    death_inputs,
    dossier_inputs,
    is_adult,
    is_mother,
)
from services.portal.dossiers import (
    ORDINARY_WITH_FEE,
    PROCEDURES,
    RECEIVING_UNITS,
    ChuHoSo,
    HoSoMC,
    Procedure,
    new_dossier,
)

DEATH_AGE = 60
DRAWS = 200  # people looked at for one dossier before giving up (a fitting one is found in a few)
CERTIFICATE = next(p for p in PROCEDURES if p.ma_linh_vuc == "LLTP")
# Why citizens ask for a certificate (no. 2, the full record, is asked for one's own knowledge or a visa).
CERTIFICATE_PURPOSES = {
    1: ("Bổ sung hồ sơ xin việc", "Thành lập doanh nghiệp", "Bổ sung hồ sơ đi học"),
    2: ("Để biết nội dung lý lịch tư pháp của bản thân", "Xin thị thực, xuất khẩu lao động"),
}


class NoFittingCitizen(LookupError):
    """No fitting citizen among the people drawn (a population far too small)."""


class CitizenDraws:
    """Fills the forms of dossiers for citizens drawn from `population` with `seed`."""

    def __init__(self, population: Population, *, seed: int) -> None:
        self.population = population
        self._random = random.Random(seed)
        self._declared_dead: set[str] = set()

    def form(self, procedure: Literal["birth", "death"], today: date) -> dict[str, JsonValue]:
        """The journey inputs of one new dossier of `procedure`, filed on `today`."""
        if procedure == "birth":
            mother = self._draw(lambda p: is_mother(p, today), "mother")
            return birth_inputs(self.population, today=today, legs=BIRTH_LEGS, mother_id=mother.id_number)
        for _ in range(DRAWS):
            person = self._draw(lambda p: self._may_die(p, today), "elder")
            try:
                inputs = death_inputs(
                    self.population, today=today, legs=["residence"], deceased_id=person.id_number
                )
            except IneligibleRequest:  # no adult head of household to declare it
                continue
            self._declared_dead.add(person.id_number)
            return inputs
        raise NoFittingCitizen(f"no elder with an adult head of household among {DRAWS} drawn")

    def dossier(
        self, number: str, received: datetime, agency_code: str
    ) -> tuple[HoSoMC, dict[str, JsonValue]]:
        """A new online dossier `number` of an adult, received at `received` (with its offset): the
        portal's record of it and the province's journey inputs, with the same owner and fee."""
        person = self._draw(lambda p: is_adult(p, received.date()), "adult")
        record, fee = self._filed(
            number, self._random.choice(ORDINARY_WITH_FEE), person, received, agency_code
        )
        procedure = DossierProcedure(
            code=record.MaTTHC,
            name=record.TenTTHC,
            field_code=record.MaLinhVuc,
            field_name=record.TenLinhVuc,
            service_code=record.MaDVC,
        )
        inputs = dossier_inputs(
            self.population, received_at=received.replace(microsecond=0), fee=fee, procedure=procedure,
            citizen_id=person.id_number,
        )  # fmt: skip
        return record, inputs

    def certificate(
        self, number: str, received: datetime, agency_code: str
    ) -> tuple[HoSoMC, dict[str, JsonValue]]:
        """A judicial-record certificate asked for online by an adult, as dossier `number` received at
        `received` (with its offset): certificate no. 1 or 2, returned by VNPost or at the counter; the
        portal's record of it and the province's journey inputs, with the same owner and fee."""
        person = self._draw(lambda p: is_adult(p, received.date()), "adult")
        record, fee = self._filed(number, CERTIFICATE, person, received, agency_code)
        kind = self._random.choice((1, 2))
        inputs = certificate_inputs(
            self.population, received_at=received.replace(microsecond=0), fee=fee,
            citizen_id=person.id_number, certificate_type=kind, delivery=self._random.choice(DELIVERIES),
            purpose=self._random.choice(CERTIFICATE_PURPOSES[kind]),
        )  # fmt: skip
        return record, inputs

    def _filed(
        self, number: str, procedure: Procedure, person: Citizen, received: datetime, agency_code: str
    ) -> tuple[HoSoMC, DossierFee]:
        """The portal's record of an online dossier of `procedure` and its fee as the journey takes it."""
        owner = ChuHoSo(HoVaTen=person.full_name, SoDinhDanh=person.id_number)
        unit = self._random.choice(RECEIVING_UNITS)
        record = new_dossier(
            number, procedure, owner, received.replace(microsecond=0),
            agency_code=agency_code, unit=unit, channel=2,
        )  # fmt: skip
        fee = record.LePhi[0]
        return record, DossierFee(
            code=fee.MaPhiLePhi,
            name=fee.TenPhiLePhi,
            amount_vnd=fee.Gia,
            procedure_code=record.MaTTHC,
            service_code=record.MaDVC,
            agency_code=record.DonViXuLy,
        )

    def _may_die(self, person: Citizen, today: date) -> bool:
        return (
            person.id_number not in self._declared_dead
            and getattr(person, "death_date", None) is None
            and age_on(person, today) >= DEATH_AGE
            and person.household.relation != "CH01"
        )

    def _draw(self, fits: Callable[[Citizen], bool], what: str) -> Citizen:
        for id_number in self.population.sample_ids(min(DRAWS, len(self.population)), self._random):
            person = self.population.citizen(id_number)
            if person is not None and fits(person):
                return person
        raise NoFittingCitizen(f"no {what} among {DRAWS} citizens drawn; is the population this small?")
