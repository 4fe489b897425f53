"""Conformance profiles of the four agency adapters (residence, insurance, social, lltp): each mock over
a small seeded population with a newborn registered into it, and samples naming its people.

Every sample carries a fixed dossier number, so sending it again (as the kit does, check after check)
is a replay the agency answers with its first result, never a second effect or a conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from adapters.conformance.profile import ConformanceProfile, Sample
from services import insurance, lltp, residence, social
from services.citizens import Citizen, Population
from services.lltp.models import DangKyCapPhieuRequest
from services.registry import without_latency
from vn_calendar import vietnam_today

POPULATION_SEED, POPULATION_SIZE = 2023, 3000
ISSUED = "LLTP-CONF-DA-CAP"  # a certificate request filed and issued before the kit starts


@dataclass(frozen=True)
class People:
    """The people the samples name, in a population that knows the newborn."""

    population: Population
    mother: Citizen
    head: Citizen
    child: Citizen
    elder: Citizen
    adult: Citizen


def _age(person: Citizen, on: date) -> int:
    born = person.birth_date
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _first(population: Population, fits: Callable[[Citizen], bool], taken: set[str]) -> Citizen:
    for index in range(len(population)):
        person = population.citizen(population.id_at(index))
        if person is not None and person.id_number not in taken and fits(person):
            return person
    raise LookupError("the conformance population has nobody fit")


def people() -> People:
    """A fresh population and its people: the same every call (the seed decides the newborn's number)."""
    population = Population(seed=POPULATION_SEED, size=POPULATION_SIZE)
    today = vietnam_today()
    mother = _first(
        population,
        lambda c: c.sex == "F" and 20 <= _age(c, today) <= 40 and c.household.relation == "CH02",
        set(),
    )
    head = population.citizen(mother.household.head_id_number)
    assert head is not None
    born = today - timedelta(days=3)
    number = population.issue_id("031", "M", born.year)
    child = population.register_newborn(
        family_name=head.family_name, middle_name="Minh", given_name="Khôi", sex="M", birth_date=born,
        mother_id=mother.id_number, id_number=number,
    )  # fmt: skip
    taken = {mother.id_number, head.id_number}
    elder = _first(population, lambda c: _age(c, today) >= 85, taken)
    adult = _first(population, lambda c: 30 <= _age(c, today) <= 60, taken | {elder.id_number})
    return People(population, mother, head, child, elder, adult)


def _person(person: Citizen) -> dict[str, str]:
    return {"id_number": person.id_number, "full_name": person.full_name}


def _child(who: People) -> dict[str, str]:
    return _person(who.child) | {"birth_date": who.child.birth_date.isoformat(), "sex": "male"}


def _mother(who: People) -> dict[str, str]:
    return _person(who.mother) | {"relationship": "Mẹ"}


def residence_profile() -> ConformanceProfile:
    """Register the newborn into its mother's household, remove a deceased elder, look up a dossier."""
    prefix = "VN/GOV/BCA/CSDLCT"
    who = people()
    today = vietnam_today().isoformat()
    newborn = {
        "dossier_number": "CT-CONF-0001",
        "child": _child(who),
        "household_head": _person(who.head),
        "household_book_number": who.mother.household.book_number,
        "declarant": _mother(who),
    }
    removal = {
        "dossier_number": "CT-CONF-0002",
        "person": _person(who.elder),
        "death_date": today,
        "death_extract": {"number": "15/2026", "issued_on": today, "issuer": "UBND phường Lạch Tray"},
        "source": "declaration",
    }

    def provider() -> ASGIApp:
        return _quiet(residence.create_app(people().population, latency=False))

    return _agency_profile(
        prefix,
        provider,
        {
            "DangKyThuongTru/v1": newborn,
            "XoaDangKyThuongTru/v1": removal,
            "TraCuuHoSoCuTru/v1": {"dossier_number": "CT-CONF-0001"},
        },
    )


def insurance_profile() -> ConformanceProfile:
    """The newborn's TE card, a survivor benefit for the household's head, a dossier look-up."""
    prefix = "VN/GOV/BHXH/VSS"
    who = people()
    card = {"dossier_number": "BHXH-CONF-0001", "child": _child(who), "guardian": _mother(who)}
    survivor = {
        "dossier_number": "BHXH-CONF-0002",
        "deceased": _person(who.head) | {"death_date": vietnam_today().isoformat()},
        "recipient": _person(who.mother) | {"relationship": "Vợ"},
    }

    def provider() -> ASGIApp:
        settings = insurance.InsuranceSettings(insured_share=1.0)
        return _quiet(insurance.create_app(people().population, settings=settings, latency=False))

    return _agency_profile(
        prefix,
        provider,
        {
            "CapTheBHYTTreEm/v1": card,
            "GiaiQuyetTuTuat/v1": survivor,
            "TraCuuHoSo/v1": {"dossier_number": "BHXH-CONF-0001"},
        },
    )


def social_profile() -> ConformanceProfile:
    """The funeral allowance of an elder on the old-age social pension, and its dossier look-up."""
    prefix = "VN/GOV/BLDTBXH/BTXH"
    who = people()
    claim = {
        "dossier_number": "BTXH-CONF-0001",
        "deceased": _person(who.elder) | {"death_date": vietnam_today().isoformat()},
        "organiser": _person(who.adult) | {"relationship": "Con", "address": "Số 12 Lạch Tray, Ngô Quyền"},
    }

    def provider() -> ASGIApp:
        return _quiet(social.create_app(people().population, latency=False))

    return _agency_profile(
        prefix,
        provider,
        {
            "HoTroMaiTang/v1": claim,
            "TraCuuHoSo/v1": {"dossier_number": "BTXH-CONF-0001"},
        },
    )


def _certificate_request(who: People, number: str) -> dict[str, Any]:
    """A canonical request for certificate no. 1 for the mother."""
    return {
        "dossier_number": number,
        "certificate_type": 1,
        "purpose": "Bổ sung hồ sơ xin việc",
        "applicant": {
            "full_name": who.mother.full_name,
            "sex": "female",
            "birth_date": who.mother.birth_date.isoformat(),
            "birth_place": "Hải Phòng",
            "id_number": who.mother.id_number,
            "id_issued_on": "2021-05-10",
            "id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
            "permanent_address": who.mother.permanent_address.detail,
        },
        "residence_history": [{"from_month": "2004-08", "place": "Lạch Tray, Ngô Quyền, Hải Phòng"}],
        # after the provider's clock was moved on 30 days for the certificate issued beforehand
        "appointment_date": (vietnam_today() + timedelta(days=60)).isoformat(),
    }


def lltp_profile() -> ConformanceProfile:
    """A certificate request, a poll and a revocation of one filed and issued before the kit starts."""
    prefix = "VN/GOV/BTP/LLTP"
    who = people()
    revocation = {
        "dossier_number": ISSUED,
        "decision_number": "12/QĐ-STP",
        "decision_date": (vietnam_today() + timedelta(days=30)).isoformat(),
        "reason": "Cấp sai đối tượng",
        "signer": "Lê Văn An",
    }

    def provider() -> ASGIApp:
        settings = lltp.LltpSettings(refusal_rate=0.0, late_rate=0.0)
        app = lltp.create_app(people().population, settings=settings, latency=False)
        office = app.state.lltp
        form = _certificate_request(who, ISSUED)
        wire = {
            "maTinh": "31", "maHoSoMCDT": ISSUED, "nguonDangKy": 3,
            "toKhai": {
                "loaiPhieu": 1, "mucDich": form["purpose"], "soLuongCap": 1, "hoTen": who.mother.full_name,
                "gioiTinh": 2, "ngaySinh": who.mother.birth_date.strftime("%d/%m/%Y"), "noiSinh": "Hải Phòng",
                "soGiayTo": who.mother.id_number, "ngayCapGiayTo": "10/05/2021", "noiCapGiayTo": "Cục C06",
                "noiThuongTru": who.mother.permanent_address.detail,
                "quaTrinhCuTru": [{"tuNgay": "08/2004", "noiCuTru": "Lạch Tray, Ngô Quyền, Hải Phòng"}],
                "ngayHenTra": (vietnam_today() + timedelta(days=21)).strftime("%d/%m/%Y"),
            },
        }  # fmt: skip
        office.request(DangKyCapPhieuRequest.model_validate(wire))
        office.clock.advance(24 * 30)  # verified and issued: the revocation sample has its certificate
        return _quiet(app)

    return _agency_profile(
        prefix,
        provider,
        {
            "DangKyCapPhieu/v1": _certificate_request(who, "LLTP-CONF-0001"),
            "TraCuuKetQua/v1": {"dossier_number": ISSUED},
            "ThuHoiPhieu/v1": revocation,
        },
    )


def _agency_profile(
    prefix: str, provider: Callable[[], ASGIApp], samples: dict[str, dict[str, Any]]
) -> ConformanceProfile:
    """The profile of the agency mock `provider`: one sample per `SERVICE/VERSION` under `prefix`."""
    return ConformanceProfile(
        provider=provider,
        config={"timeout_cap": 10.0},
        samples=tuple(Sample(service=f"{prefix}/{key}", payload=payload) for key, payload in samples.items()),
    )


def _quiet(app: FastAPI) -> FastAPI:
    without_latency(app)
    return app
