"""A newborn's record, built from the parents' records when a birth is registered through a mock."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict, field_validator

from services.citizens import models as m
from services.citizens.geography import OTHER_PROVINCE_UNITS
from services.citizens.households import BLOOD_TYPES
from services.citizens.id_numbers import PROVINCE_NAMES, Sex


class NewbornRequest(BaseModel):
    """What the civil registry knows of a child at registration; names are NFC-normalised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family_name: str
    middle_name: str
    given_name: str
    sex: Sex
    birth_date: date
    province_code: str

    @field_validator("family_name", "given_name")
    @classmethod
    def _name_is_given(cls, value: str) -> str:
        value = unicodedata.normalize("NFC", " ".join(value.split()))
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("middle_name")
    @classmethod
    def _middle_name_is_normalised(cls, value: str) -> str:
        return unicodedata.normalize("NFC", " ".join(value.split()))

    @field_validator("province_code")
    @classmethod
    def _province_is_known(cls, value: str) -> str:
        if value not in PROVINCE_NAMES:
            raise ValueError(f"unknown province code {value!r}")
        return value


def _relative(parent: m.Citizen | None) -> m.Relative | None:
    if parent is None:
        return None
    return m.Relative(
        full_name=parent.full_name, id_number=parent.id_number, old_id_number=parent.old_id_number
    )


def newborn_record(
    request: NewbornRequest,
    id_number: str,
    father: m.Citizen | None,
    mother: m.Citizen | None,
    rng: random.Random,
) -> m.Citizen:
    """The child's record: lives in the mother's household (else the father's), home town of the father."""
    carer = mother or father
    if carer is None:
        raise ValueError("a newborn needs a known father or mother")
    home = carer.permanent_address
    birth_place = home
    if request.province_code[1:] != home.province:
        unit = OTHER_PROVINCE_UNITS.get(request.province_code)
        name = PROVINCE_NAMES[request.province_code]
        district, ward, detail = (unit[1], unit[3], f"{unit[2]}, {unit[0]}") if unit else ("", "", name)
        province = request.province_code[1:]
        birth_place = m.Address(province=province, district=district, ward=ward, detail=detail)
    # The carer's own children are "con" of the head when the carer heads or co-heads the household.
    heads = (m.RELATION_HEAD, m.RELATION_WIFE, m.RELATION_HUSBAND)
    relation = m.RELATION_CHILD if carer.household.relation in heads else m.RELATION_GRANDCHILD
    return m.Citizen(
        id_number=id_number,
        old_id_number=None,
        family_name=request.family_name,
        middle_name=request.middle_name,
        given_name=request.given_name,
        sex=request.sex,
        birth_date=request.birth_date,
        ethnicity=(father or carer).ethnicity,
        religion=carer.religion,
        marital_status=m.MARITAL_SINGLE,
        blood_type=BLOOD_TYPES.draw(rng),
        birth_registration=birth_place,
        hometown=(father or carer).hometown,
        permanent_address=home,
        current_address=carer.current_address,
        father=_relative(father),
        mother=_relative(mother),
        spouse=None,
        representative=_relative(father or mother),
        household=carer.household.model_copy(update={"relation": relation}),
    )
