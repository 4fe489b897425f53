"""A journey's inputs built from the seeded population, as the one-stop's pre-filled form would be:
the birth of a real mother's child, the death of a real person with a relative declaring it, an ordinary
dossier with a fee filed by a real adult and its result returned to their permanent address, a real
adult's judicial-record certificate (no. 1 or 2, by post or at the counter). Used by
`lgsp journey start` and by the load tests' journey scenarios (which draw their own mothers and
deceased with `is_mother` and `insured_elder`).

Bad requests raise the typed `JourneyRequestError`s before anything is started:

    JourneyRequestError (ValueError)
    ├── UnknownCitizen      not a 12-digit number, or nobody of the population has it
    ├── IneligibleRequest   the person cannot be the subject (a man as mother, a health-insurance card
    │                       for a child of six or more, a death for a minor's survivor benefit…)
    └── UnknownLeg          a leg the journey does not offer
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import JsonValue

from services.casework.directory import PeopleDirectory
from services.casework.people import sixth_birthday_eve
from services.citizens import Citizen, Population
from services.clock import SimulatedClock
from services.insurance.fund import SocialInsuranceFund
from services.insurance.settings import InsuranceSettings
from vn_calendar import WorkingCalendar
from vn_calendar import age_on as years_on

BIRTH_LEGS = ("residence", "insurance")
DEATH_LEGS = ("residence", "funeral", "survivor")
BUNDLES = {
    ("residence",): "KS-TT",
    ("insurance",): "KS-BHYT",
    ("insurance", "residence"): "KS-TT-BHYT",
}
# How far the first fitting person is looked for (the seeded population is 2 million people).
SEARCH_LIMIT = 20_000
PENSION_AGE = 80
OFFICE = "UBND phường Lê Chân"
# The one-stop office that posts an ordinary dossier's result back (VNPost's sender party).
ONE_STOP = {"name": "Bộ phận một cửa Sở Tư pháp", "address": "1 Lạch Tray, Hải Phòng", "phone": "02253842645"}
DELIVERIES = ("post", "counter")
SIGNER = {"signer_name": "Nguyễn Văn Hùng", "signer_title": "Chủ tịch", "officer_name": "Trần Thị Mai"}
# Working days to a judicial-record certificate: 10, 15 when the person lived in several provinces
# (Law on Judicial Records, art. 48).
CERTIFICATE_DAYS = {False: 10, True: 15}
ID_CARD_ISSUER = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
ID_CARD_AGE = 14  # a citizen identity card is issued from 14


class JourneyRequestError(ValueError):
    """The request cannot become a journey; nothing was started."""


class UnknownCitizen(JourneyRequestError, LookupError):
    """No such person in the population database."""


class IneligibleRequest(JourneyRequestError):
    """The person is not eligible for what was asked."""


class UnknownLeg(JourneyRequestError):
    """The journey does not offer that leg."""


def age_on(person: Citizen, day: date) -> int:
    """Whole years of age on `day` (the law's rule: vn_calendar.ages)."""
    return years_on(person.birth_date, day)


def citizen(population: Population, id_number: str) -> Citizen:
    """The living or dead person with this number, else UnknownCitizen."""
    if not re.fullmatch(r"\d{12}", id_number):
        raise UnknownCitizen(f"{id_number!r} is not a personal ID number (12 digits)")
    try:
        found = population.citizen(id_number)
    except ValueError:
        found = None
    if found is None:
        raise UnknownCitizen(f"nobody in the population database has ID number {id_number}")
    return found


def first_fitting(population: Population, fits: Callable[[Citizen], bool], what: str) -> Citizen:
    """The first person of the population that fits (deterministic: the population is seeded)."""
    for index in range(min(len(population), SEARCH_LIMIT)):
        person = population.citizen(population.id_at(index))
        if person is not None and fits(person):
            return person
    raise LookupError(f"no {what} among the first {SEARCH_LIMIT} people")


def checked_legs(legs: Sequence[str], offered: Sequence[str]) -> list[str]:
    """The legs asked for, sorted and without repeats, all offered; else UnknownLeg."""
    unknown = sorted(set(legs) - set(offered))
    if unknown:
        raise UnknownLeg(f"unknown legs {unknown}: choose among {list(offered)}")
    return sorted(set(legs))


def _entry(day: date, number: int) -> dict[str, JsonValue]:
    return {
        "number": str(number),
        "book": f"01/{day.year}",
        "page": str(1 + number // 10),
        "registration_date": day.isoformat(),
        "registration_place": OFFICE,
        **SIGNER,
    }


def is_mother(person: Citizen, today: date) -> bool:
    """Whether `person` can be a newborn's mother on `today` (a woman of 18 to 50)."""
    return person.sex == "F" and 18 <= age_on(person, today) <= 50


def birth_inputs(
    population: Population,
    *,
    today: date,
    legs: Sequence[str] = BIRTH_LEGS,
    mother_id: str | None = None,
    born_on: date | None = None,
    child_name: str = "Minh Khôi",
    sex: str = "male",
    entry_number: int = 1,
) -> dict[str, JsonValue]:
    """The birth journey's inputs for a child of `mother_id` (default: the first mother of the
    population) born on `born_on` (default: yesterday)."""
    chosen = checked_legs(legs, BIRTH_LEGS)
    if not chosen:
        raise UnknownLeg(f"choose the legs besides the birth registration among {list(BIRTH_LEGS)}")
    mother = (
        first_fitting(population, lambda p: is_mother(p, today), "mother")
        if mother_id is None
        else citizen(population, mother_id)
    )
    if not is_mother(mother, today):
        raise IneligibleRequest(f"{mother.id_number} ({mother.full_name}) cannot be a newborn's mother")
    born = born_on or date.fromordinal(today.toordinal() - 1)
    if born > today:
        raise IneligibleRequest(f"the child's birth date {born} is after today ({today})")
    if "insurance" in chosen and sixth_birthday_eve(born) < today:
        raise IneligibleRequest(f"a child born on {born} is six or over: no child's health-insurance card")
    head = citizen(population, mother.household.head_id_number)
    family = head.family_name if head.sex == "M" else mother.family_name
    middle, _, given = child_name.rpartition(" ")
    mother_papers = {"id_document_type": "citizen_id", "id_document_number": mother.id_number}
    return {
        "legs": list(chosen),
        "bundle": BUNDLES[tuple(chosen)],
        "register_entry": _entry(today, entry_number),
        "child": {
            "full_name": " ".join(part for part in (family, middle, given) if part),
            "sex": sex,
            "birth_date": born.isoformat(),
            "birth_place": "Bệnh viện Phụ sản Hải Phòng",
            "hometown": "Hải Phòng",
        },
        "mother": {
            "full_name": mother.full_name,
            "birth_date": mother.birth_date.isoformat(),
            "residence": mother.permanent_address.detail or "Hải Phòng",
            **mother_papers,
        },
        "requester": {"full_name": mother.full_name, "relationship": "Mẹ", **mother_papers},
        "household": {
            "head": {"id_number": head.id_number, "full_name": head.full_name},
            "book_number": mother.household.book_number,
        },
        "guardian": {"id_number": mother.id_number, "full_name": mother.full_name, "relationship": "Mẹ"},
    }


def insured_elder(population: Population, today: date) -> Callable[[Citizen], bool]:
    """Who fits a four-procedure death on `today`: of pension age, insured at the social-insurance fund,
    and not the head of the household (the head declares the death)."""
    fund = SocialInsuranceFund(PeopleDirectory(population), InsuranceSettings(), SimulatedClock())
    return lambda person: (
        age_on(person, today) >= PENSION_AGE
        and person.household.relation != "CH01"
        and fund.record_of(person, today) is not None
    )


def death_inputs(
    population: Population,
    *,
    today: date,
    legs: Sequence[str] = DEATH_LEGS,
    deceased_id: str | None = None,
    entry_number: int = 1,
) -> dict[str, JsonValue]:
    """The death journey's inputs for `deceased_id` (default: the first person of pension age the
    social-insurance fund knows as insured, not the head of a household), declared by the head."""
    chosen = checked_legs(legs, DEATH_LEGS)
    if not chosen:
        raise UnknownLeg(f"choose at least one leg besides the death registration among {list(DEATH_LEGS)}")
    if deceased_id is None:
        deceased = first_fitting(population, insured_elder(population, today), "insured elder")
    else:
        deceased = citizen(population, deceased_id)
    relative = citizen(population, deceased.household.head_id_number)
    if relative.id_number == deceased.id_number or age_on(relative, today) < 18:
        raise IneligibleRequest(f"{deceased.id_number} has no adult relative at the head of the household")
    papers = {"id_document_type": "citizen_id", "id_document_number": relative.id_number}
    return {
        "legs": list(chosen),
        "bundle": "KT-"
        + "-".join({"residence": "TT", "funeral": "MT", "survivor": "TT2"}[leg] for leg in chosen),
        "register_entry": _entry(today, entry_number),
        "deceased": {
            "full_name": deceased.full_name,
            "id_number": deceased.id_number,
            "death_date": today.isoformat(),
            "death_place": "Bệnh viện Hữu nghị Việt Tiệp",
            "cause": "Bệnh",
        },
        "requester": {"full_name": relative.full_name, "relationship": "Con", **papers},
        "relative": {
            "full_name": relative.full_name,
            "id_number": relative.id_number,
            "relationship": "Con",
            "address": relative.permanent_address.detail or "Hải Phòng",
        },
    }


@dataclass(frozen=True)
class DossierFee:
    """The fee of an ordinary dossier's procedure, as the portal's catalogue lists it."""

    code: str
    name: str
    amount_vnd: int
    procedure_code: str
    service_code: str
    agency_code: str


@dataclass(frozen=True)
class DossierProcedure:
    """The administrative procedure of an ordinary dossier, as the national catalogue names it."""

    code: str
    name: str
    field_code: str
    field_name: str
    service_code: str


def is_adult(person: Citizen, today: date) -> bool:
    """Whether `person` may file a dossier on `today` (18 or over)."""
    return age_on(person, today) >= 18


def contact_phone(person: Citizen) -> str:
    """The mobile number of the person's portal account (the population database holds none): a
    deterministic 10-digit number derived from the ID number."""
    return "09" + person.id_number[-8:]


def dossier_inputs(
    population: Population,
    *,
    received_at: datetime,
    fee: DossierFee,
    procedure: DossierProcedure,
    citizen_id: str | None = None,
    delivery: str = "post",
) -> dict[str, JsonValue]:
    """The ordinary dossier journey's inputs for `citizen_id` (default: the first adult of the
    population), filed at `received_at` (with its offset) for `procedure`, the result returned by post to
    the citizen's permanent address or at the counter."""
    if received_at.tzinfo is None:
        raise ValueError(f"received_at {received_at} has no UTC offset")
    if delivery not in DELIVERIES:
        raise IneligibleRequest(f"delivery {delivery!r}: choose among {list(DELIVERIES)}")
    person = _adult(population, received_at.date(), citizen_id)
    return {
        "citizen": {"id_number": person.id_number, "full_name": person.full_name},
        "procedure": {
            "code": procedure.code,
            "name": procedure.name,
            "field_code": procedure.field_code,
            "field_name": procedure.field_name,
            "service_code": procedure.service_code,
        },
        **_fee_and_delivery(person, received_at, fee, delivery),
    }


def certificate_inputs(
    population: Population,
    *,
    received_at: datetime,
    fee: DossierFee,
    citizen_id: str | None = None,
    certificate_type: int = 1,
    delivery: str = "post",
    purpose: str = "Bổ sung hồ sơ xin việc",
) -> dict[str, JsonValue]:
    """The judicial-record certificate journey's inputs: `citizen_id` (default: the first adult of the
    population) asks at the one-stop, at `received_at` (with its offset), for certificate no. 1 or 2 for
    `purpose`, returned by post to the permanent address or at the counter. A person registered at birth
    in another province than the one they live in lived in several: 15 working days, not 10."""
    if received_at.tzinfo is None:
        raise ValueError(f"received_at {received_at} has no UTC offset")
    if certificate_type not in (1, 2):
        raise IneligibleRequest(f"certificate no. {certificate_type}: there are no. 1 and no. 2")
    if delivery not in DELIVERIES:
        raise IneligibleRequest(f"delivery {delivery!r}: choose among {list(DELIVERIES)}")
    person = _adult(population, received_at.date(), citizen_id)
    home, born = person.permanent_address, person.birth_registration
    several_places = born.province != home.province
    appointment = WorkingCalendar().add_working_days(received_at, CERTIFICATE_DAYS[several_places])
    card_age = _birthday(person.birth_date, ID_CARD_AGE)
    grown = _birthday(person.birth_date, 18)
    history: list[JsonValue] = [{"from_month": f"{card_age:%Y-%m}", "place": home.detail or "Hải Phòng"}]
    if several_places:
        history = [
            {"from_month": f"{person.birth_date:%Y-%m}", "to_month": f"{grown:%Y-%m}", "place": born.detail},
            {"from_month": f"{grown:%Y-%m}", "place": home.detail or "Hải Phòng"},
        ]
    request: dict[str, JsonValue] = {
        "certificate_type": certificate_type,
        "purpose": purpose,
        "applicant": {
            "full_name": person.full_name,
            "sex": "female" if person.sex == "F" else "male",
            "birth_date": person.birth_date.isoformat(),
            "birth_place": born.detail or "Hải Phòng",
            "id_number": person.id_number,
            "id_issued_on": max(
                card_age, date(2021, 1, 1) + timedelta(days=int(person.id_number[-3:]))
            ).isoformat(),
            "id_issued_by": ID_CARD_ISSUER,
            "permanent_address": home.detail or "Hải Phòng",
            "phone": contact_phone(person),
        },
        "residence_history": history,
        "appointment_date": appointment.date().isoformat(),
    }
    return {
        "request": request,
        "several_places": several_places,
        **_fee_and_delivery(person, received_at, fee, delivery),
    }


def _birthday(born: date, years: int) -> date:
    """The day `born` turns `years` (29 February: the 28th)."""
    return date(born.year + years, born.month, 28 if (born.month, born.day) == (2, 29) else born.day)


def _adult(population: Population, today: date, citizen_id: str | None) -> Citizen:
    person = (
        first_fitting(population, lambda p: is_adult(p, today), "adult")
        if citizen_id is None
        else citizen(population, citizen_id)
    )
    if not is_adult(person, today):
        raise IneligibleRequest(
            f"{person.id_number} ({person.full_name}) is a minor: no dossier of their own"
        )
    return person


def _fee_and_delivery(
    person: Citizen, received_at: datetime, fee: DossierFee, delivery: str
) -> dict[str, JsonValue]:
    """The reception time, the fee and how the result goes back (by post: the parcel to the person's
    permanent address)."""
    home = person.permanent_address
    inputs: dict[str, JsonValue] = {
        "received_at": received_at.isoformat(),
        "fee": {
            "code": fee.code,
            "name": fee.name,
            "amount_vnd": fee.amount_vnd,
            "procedure_code": fee.procedure_code,
            "service_code": fee.service_code,
            "agency_code": fee.agency_code,
        },
        "delivery": delivery,
    }
    if delivery == "post":
        inputs["parcel"] = {
            "sender": {**ONE_STOP, "province_code": "31", "district_code": "303"},
            "receiver": {
                "name": person.full_name,
                "phone": contact_phone(person),
                "address": home.detail or "Hải Phòng",
                "province_code": home.province,
                "district_code": home.district,
            },
        }
    return inputs
