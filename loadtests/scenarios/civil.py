"""Civil-status registrations (births, marriages, marital-status certificates) and record look-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from loadtests.scenarios.base import Draw, Person, Scenario, Step, Steps, expect_keys
from services.citizens import IdParts
from vn_calendar import age_on, vietnam_today

BIRTH = "DangKyKhaiSinh"
MARRIAGE = "DangKyKetHon"
MARITAL_STATUS = "XacNhanTinhTrangHonNhan"
LOOKUP = "TraCuuHoTich"
SINGLE = "1"  # the population database's marital status code for "never married"


def _age(person: Person, today: date) -> int:
    """Full years on `today` by the law's rule, as the civil registry counts them (days // 365 counted a
    person of 20 up to five days before the birthday, whom the registry refuses to marry)."""
    return age_on(person.birth_date, today)


def _relative(id_number: str, person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
        "residence": "Hải Phòng",
        "id_document_number": id_number,
    }


def _register_entry(draw: Draw, today: date) -> dict[str, Any]:
    return {
        "number": str(draw.rng.randint(1, 9999)),
        "book": f"01/{today.year}",
        "page": str(draw.rng.randint(1, 400)),
        "registration_date": today.isoformat(),
        "registration_place": "UBND phường Lê Chân, Hải Phòng",
        "signer_name": "Nguyễn Văn Ký",
        "signer_title": "Chủ tịch",
        "officer_name": "Trần Thị Hộ Tịch",
    }


def _record_check(kind: str, prefix: str) -> Any:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "record_id", "kind", "status")
        if problem:
            return problem
        if answer["kind"] != kind or not str(answer["record_id"]).startswith(prefix):
            return f"expected a {kind} record {prefix}…, got {answer['kind']} {answer['record_id']}"
        return None

    return check


def _birth(draw: Draw) -> Steps:
    today = vietnam_today()
    mother = draw.citizen_by_identity(lambda c: c.sex == "F" and 18 <= _age(c, today) <= 45)
    body = {
        "dossier_number": draw.unique("KS"),
        "register_entry": _register_entry(draw, today),
        "child": {
            "full_name": f"{mother.family_name} Minh {draw.rng.choice(['An', 'Khôi', 'Ngọc', 'Thư'])}",
            "sex": draw.rng.choice(["male", "female"]),
            "birth_date": (today - timedelta(days=draw.rng.randint(1, 50))).isoformat(),
            "birth_place": "Bệnh viện Phụ sản Hải Phòng",
            "hometown": "Hải Phòng",
        },
        "mother": _relative(mother.id_number, mother),
        "requester": {
            "full_name": mother.full_name,
            "relationship": "Mẹ",
            "id_document_number": mother.id_number,
        },
    }
    record = yield Step(BIRTH, body, _record_check("birth", "KS."))  # a refusal ends the scenario (`play`)
    yield Step(LOOKUP, {"record_id": record["record_id"]}, _found_record(record["record_id"]))


def _found_record(record_id: str) -> Any:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "found")
        if problem:
            return problem
        if answer["found"] is not True or (answer.get("record") or {}).get("record_id") != record_id:
            return f"record {record_id} just registered was not found: {str(answer)[:120]}"
        return None

    return check


def may_marry(
    sex: str, youngest: int, today: date, oldest: int = 40
) -> tuple[Callable[[Person], bool], Callable[[IdParts], bool]]:
    """Who may be drawn to marry (single, of `sex`, aged `youngest` to `oldest`), and the pre-check of a
    candidate's ID number that lets all of them through (the sex, a birth year with a year's margin)."""

    def accept(person: Person) -> bool:
        return (
            person.sex == sex
            and youngest <= _age(person, today) <= oldest
            and person.marital_status == SINGLE
        )

    def likely(parts: IdParts) -> bool:
        return parts.sex == sex and today.year - oldest - 2 <= parts.birth_year <= today.year - youngest + 1

    return accept, likely


def _marriage(draw: Draw) -> Steps:
    today = vietnam_today()
    # Unclaimed: no user of the run marries one of them again (the registry refuses the married).
    accept, likely = may_marry("M", 20, today)
    husband = draw.unclaimed_identity(accept, likely=likely)
    accept, likely = may_marry("F", 18, today)
    wife = draw.unclaimed_identity(accept, likely=likely)
    body = {
        "dossier_number": draw.unique("KH"),
        "register_entry": _register_entry(draw, today),
        "husband": _relative(*husband),
        "wife": _relative(*wife),
    }
    yield Step(MARRIAGE, body, _record_check("marriage", "KH."))


def _marital_status(draw: Draw) -> Steps:
    today = vietnam_today()
    number, person = draw.identity(lambda c: _age(c, today) >= 18)
    body = {
        "dossier_number": draw.unique("XN"),
        "id_number": number,
        "full_name": person.full_name,
        "purpose": "Đăng ký kết hôn",
        "registration_date": today.isoformat(),
        "registration_place": "UBND phường Lê Chân, Hải Phòng",
        "signer_name": "Nguyễn Văn Ký",
        "signer_title": "Chủ tịch",
        "requester": {
            "full_name": person.full_name,
            "relationship": "Bản thân",
            "id_document_number": number,
        },
    }
    yield Step(MARITAL_STATUS, body, _record_check("marital_status_certificate", "XN."))


def _person_status(draw: Draw) -> Steps:
    number, _ = draw.identity()

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "found")
        if problem:
            return problem
        if answer["found"] and (answer.get("person") or {}).get("id_number") != number:
            return f"civil status of {number} named someone else: {str(answer)[:120]}"
        return None

    yield Step(LOOKUP, {"person_id": number}, check)


REGISTER_BIRTH = Scenario("birth registration", (BIRTH, LOOKUP), _birth)
REGISTER_MARRIAGE = Scenario("marriage registration", (MARRIAGE,), _marriage)
CERTIFY_MARITAL_STATUS = Scenario("marital-status certificate", (MARITAL_STATUS,), _marital_status)
LOOKUP_CIVIL_STATUS = Scenario("civil-status look-up", (LOOKUP,), _person_status)
