"""The civil adapter's conformance profile: the civil-registry mock over a small population, and samples.

Samples name real people of that population (a mother, a couple who may marry, a person to certify),
so every registration succeeds on a fresh mock.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from adapters.conformance.profile import ConformanceProfile, Sample
from lgsp.mock_provider import mock_provider
from services.citizens import Citizen, Population
from services.civil import CivilSettings
from vn_calendar import vietnam_today

SERVICE_PREFIX = "VN/GOV/BTP/HOTICH"
POPULATION_SEED = 2023
POPULATION_SIZE = 3000
CONFORMANCE_API_KEY = "civil-conformance-key-5b0c"


def _age(citizen: Citizen, on: date) -> int:
    return (
        on.year
        - citizen.birth_date.year
        - ((on.month, on.day) < (citizen.birth_date.month, citizen.birth_date.day))
    )


def pick_people(population: Population, today: date) -> dict[str, Citizen]:
    """Distinct people fit for each sample: mother, father, husband, wife, certificate holder."""
    wanted: dict[str, Any] = {
        "mother": lambda c: c.sex == "F" and 20 <= _age(c, today) <= 40,
        "father": lambda c: c.sex == "M" and 22 <= _age(c, today) <= 50,
        "husband": lambda c: c.sex == "M" and 22 <= _age(c, today) <= 60 and c.marital_status == "1",
        "wife": lambda c: c.sex == "F" and 20 <= _age(c, today) <= 60 and c.marital_status == "1",
        "holder": lambda c: 18 <= _age(c, today) <= 80,
    }
    found: dict[str, Citizen] = {}
    for index in range(len(population)):
        citizen = population.citizen(population.id_at(index))
        if citizen is None or any(citizen.id_number == other.id_number for other in found.values()):
            continue
        role = next((role for role, fits in wanted.items() if role not in found and fits(citizen)), None)
        if role is not None:
            found[role] = citizen
        if len(found) == len(wanted):
            return found
    raise LookupError(f"population has nobody fit for {sorted(set(wanted) - set(found))}")


def relative(citizen: Citizen) -> dict[str, Any]:
    """A person of the population as a canonical Relative."""
    return {
        "full_name": citizen.full_name,
        "birth_date": citizen.birth_date.isoformat(),
        "residence": "Số 12 đường Lạch Tray, phường Lạch Tray, quận Ngô Quyền, Hải Phòng",
        "id_document_number": citizen.id_number,
    }


def register_entry(today: date) -> dict[str, Any]:
    """A register-book entry signed today in a Hải Phòng ward."""
    return {
        "number": "15",
        "book": f"01/{today.year}",
        "page": "8",
        "registration_date": today.isoformat(),
        "registration_place": "UBND phường Lạch Tray, quận Ngô Quyền",
        "signer_name": "Nguyễn Văn Hùng",
        "signer_title": "Chủ tịch",
        "officer_name": "Trần Thị Mai",
    }


def samples(people: dict[str, Citizen], today: date) -> tuple[Sample, ...]:
    """One successful request per service; the birth comes first because it may be repeated."""
    mother, father = people["mother"], people["father"]
    requester = {"full_name": mother.full_name, "relationship": "Mẹ", "id_document_number": mother.id_number}
    birth = {
        "register_entry": register_entry(today),
        "child": {
            "full_name": f"{father.family_name} Thị Ánh Dương",
            "sex": "female",
            "birth_date": (today - timedelta(days=3)).isoformat(),
            "birth_place": "Bệnh viện Phụ sản Hải Phòng",
            "hometown": "Xã Đông Hưng, huyện Tiên Lãng, Hải Phòng",
        },
        "mother": relative(mother),
        "father": relative(father),
        "requester": requester,
    }
    holder = people["holder"]
    certificate = {
        "id_number": holder.id_number,
        "full_name": holder.full_name,
        "purpose": "Để đăng ký kết hôn",
        "registration_date": today.isoformat(),
        "registration_place": "UBND phường Lạch Tray, quận Ngô Quyền",
        "signer_name": "Nguyễn Văn Hùng",
        "signer_title": "Chủ tịch",
        "requester": {
            "full_name": holder.full_name,
            "relationship": "Bản thân",
            "id_document_number": holder.id_number,
        },
    }
    marriage = {
        "register_entry": register_entry(today),
        "husband": relative(people["husband"]),
        "wife": relative(people["wife"]),
    }
    death = {
        "register_entry": register_entry(today),
        "deceased": {
            "full_name": father.full_name,
            "id_number": father.id_number,
            "death_date": (today - timedelta(days=1)).isoformat(),
            "death_place": "Bệnh viện Việt Tiệp, Hải Phòng",
            "cause": "Bệnh tim mạch",
        },
        "requester": requester | {"relationship": "Vợ"},
    }
    return (
        Sample(service=f"{SERVICE_PREFIX}/DangKyKhaiSinh/v1", payload=birth),
        Sample(service=f"{SERVICE_PREFIX}/TraCuuHoTich/v1", payload={"person_id": mother.id_number}),
        Sample(service=f"{SERVICE_PREFIX}/TraCuuHoTich/v1", payload={"record_id": "KS.031.00000001"}),
        Sample(service=f"{SERVICE_PREFIX}/XacNhanTinhTrangHonNhan/v1", payload=certificate),
        Sample(service=f"{SERVICE_PREFIX}/DangKyKetHon/v1", payload=marriage),
        # Last: the father's death ends what later births may name him in.
        Sample(service=f"{SERVICE_PREFIX}/DangKyKhaiTu/v1", payload=death),
    )


def large_sample(birth: Sample) -> Sample:
    """The birth with every free-text field at the canonical limit (255 characters), names untouched."""
    long_text = ("Thôn Đông, xã Đông Hưng, huyện Tiên Lãng, thành phố Hải Phòng; " * 5)[:255]
    payload: dict[str, Any] = dict(birth.payload) if isinstance(birth.payload, dict) else {}
    child = dict(payload["child"]) if isinstance(payload.get("child"), dict) else {}
    payload["child"] = child | {"birth_place": long_text, "hometown": long_text}
    for role in ("mother", "father"):
        parent = payload.get(role)
        if isinstance(parent, dict):
            payload[role] = parent | {"residence": long_text}
    return birth.model_copy(update={"payload": payload})


def conformance_profile() -> ConformanceProfile:
    """The civil-registry mock (no pending births, no latency) and one sample per service."""
    population = Population(seed=POPULATION_SEED, size=POPULATION_SIZE)
    today = vietnam_today()
    people = pick_people(population, today)
    settings = CivilSettings(pending_rate=0.0)
    declared = samples(people, today)
    return ConformanceProfile(
        provider=mock_provider("civil", population=population, latency=False, settings=settings),
        config={"timeout_cap": 10.0, "api_key": CONFORMANCE_API_KEY},
        samples=declared,
        large_sample=large_sample(declared[0]),
        secrets=(CONFORMANCE_API_KEY,),
    )
