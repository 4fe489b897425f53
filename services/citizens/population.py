"""A seeded synthetic population whose records are derived from their ID numbers, never stored.

Layout: person indices [0, size) are cut into chunks of 20 people; each chunk holds 6 households whose
sizes come from the chunk's own random source. Household h = 6 * chunk + slot is drawn from a random
source keyed on (seed, h). A member's ID serial is a keyed permutation of h, one permutation per
(birth province, sex, birth year) group; members of one household never share a group, so ID numbers
are unique, and an ID number leads back to its household (inverse permutation) and then to its person.
Only the ID numbers issued, the newborns, and the deaths and marriages registered through the mocks are
stored (services.citizens.civil_status).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from math import ceil

from services.citizens import models as m
from services.citizens.civil_status import CivilStatusChanges, DeceasedCitizen
from services.citizens.geography import OTHER_PROVINCE_UNITS
from services.citizens.households import (
    ADULT_AGE,
    HouseholdDraft,
    MemberDraft,
    draw_household,
    household_sizes,
)
from services.citizens.id_numbers import (
    PROVINCE_NAMES,
    SERIAL_SPACE,
    Sex,
    century_sex_digit,
    make_id_number,
    parse_id_number,
)
from services.citizens.names import draw_family_name, draw_given_name, draw_middle_name
from services.citizens.newborns import NewbornRequest, newborn_record
from services.citizens.permutation import FeistelPermutation, derive_key
from services.clock import SimulatedClock

CHUNK_PEOPLE = 20
CHUNK_HOUSEHOLDS = 6
# Every household needs its own serial in each group, so households must fit the 6-digit serial space.
MAX_SIZE = CHUNK_PEOPLE * (SERIAL_SPACE // CHUNK_HOUSEHOLDS)
_OLD_ID_SPACE = 10_000_000
_OLD_ID_PREFIX = {"001": "01", "079": "02", "031": "03"}  # CMND numbers started with the issuing province
_ISSUE_ATTEMPTS = 10_000
# Deriving a person is most of a look-up's cost and callers ask for the same people again and again;
# bounded well below what would make memory grow with the population (test_citizens_population).
DERIVED_MEMO_SIZE = 1024
# A draw of a load test (`sample_ids`, then `citizen`) draws each household twice, in a row.
HOUSEHOLD_MEMO_SIZE = 16


class Population:
    """Deterministic synthetic citizens of a Hải Phòng-like province; look-ups are O(1) time and memory."""

    def __init__(
        self,
        seed: int = 2023,
        size: int = 2_000_000,
        province_code: str = "031",
        *,
        clock: SimulatedClock | None = None,
    ) -> None:
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"population size must be within 1-{MAX_SIZE}, got {size}")
        if province_code not in PROVINCE_NAMES:
            raise ValueError(f"unknown province code {province_code!r}")
        self.seed, self.size, self.province_code = seed, size, province_code
        self.clock = clock if clock is not None else SimulatedClock()  # when a change is recorded
        self._chunks = ceil(size / CHUNK_PEOPLE)
        self._serials: dict[tuple[str, int, int], FeistelPermutation] = {}
        self._old_ids = FeistelPermutation(_OLD_ID_SPACE, derive_key(seed, "cmnd"))
        self._books = FeistelPermutation(_OLD_ID_SPACE, derive_key(seed, "hokhau"))
        self._issued: set[str] = set()
        self._registered: dict[str, m.Citizen] = {}
        self._changes = CivilStatusChanges()
        self._issue_rng = random.Random(derive_key(seed, "issue"))
        self._lock = threading.Lock()
        self._derived: Callable[[str], m.Citizen | None] = lru_cache(DERIVED_MEMO_SIZE)(self._derive)
        self._identities: Callable[[str], m.Identity | None] = lru_cache(DERIVED_MEMO_SIZE)(self._identify)
        self._sizes: Callable[[int], tuple[int, ...]] = lru_cache(HOUSEHOLD_MEMO_SIZE)(self._chunk_sizes)
        self._drafts: Callable[[int, int], HouseholdDraft] = lru_cache(HOUSEHOLD_MEMO_SIZE)(self._household)

    def __len__(self) -> int:
        """How many people the seed generates (newborns registered later are not counted)."""
        return self.size

    def id_at(self, index: int) -> str:
        """The ID number of the person at `index` in [0, len)."""
        if not 0 <= index < self.size:
            raise IndexError(f"person index {index} is outside [0, {self.size})")
        chunk, offset = divmod(index, CHUNK_PEOPLE)
        for slot, size in enumerate(self._sizes(chunk)):
            if offset < size:
                household = chunk * CHUNK_HOUSEHOLDS + slot
                draft = self._drafts(household, size)
                return self._id_of(household, draft.members[offset])
            offset -= size
        raise AssertionError("chunk sizes always add up to the chunk's people")

    def citizen(self, id_number: str) -> m.Citizen | None:
        """The person with this ID number, or None; ValueError when it is not a well-formed ID number."""
        citizen = self._registered.get(id_number)
        if citizen is None:
            citizen = self._derived(id_number)  # memoised: the registered changes are applied below
            if citizen is None:
                return None
        return self._changes.apply(citizen)

    def identity(self, id_number: str) -> m.Identity | None:
        """What `citizen()` gives for this ID number less relatives and addresses, or None; ValueError
        when it is not a well-formed ID number. The person's household is drawn, but neither their
        relatives nor their addresses are derived: about half of a record's cost."""
        citizen = self._registered.get(id_number)
        if citizen is not None:
            return self._changes.apply_to_identity(id_number, identity_of(citizen))
        found = self._identities(id_number)  # memoised: the registered changes are applied below
        return None if found is None else self._changes.apply_to_identity(id_number, found)

    def _identify(self, id_number: str) -> m.Identity | None:
        # The seed's person's identity, as `_derive` would give it; ValueError when malformed.
        parts = parse_id_number(id_number)
        found = self._find(parts.province_code, parts.sex, parts.birth_year, parts.serial)
        if found is None:
            return None
        _, first_index, draft, position = found
        me = draft.members[position]
        name = " ".join(part for part in (me.family_name, me.middle_name, me.given_name) if part)
        old_id = self._old_id(first_index + position, me)
        return m.Identity(name, me.birth_date, old_id, me.sex, me.marital_status)

    def _derive(self, id_number: str) -> m.Citizen | None:
        # The seed's person as generated, before any registered change; ValueError when malformed.
        parts = parse_id_number(id_number)
        found = self._find(parts.province_code, parts.sex, parts.birth_year, parts.serial)
        return None if found is None else self._citizen(*found)

    def record_death(self, id_number: str, day: date, *, recorded_at: datetime | None = None) -> m.Citizen:
        """Record a registered death at `recorded_at` (default: now on the population's clock):
        `citizen()` then answers a DeceasedCitizen, a spouse is widowed.

        ValueError, changing nothing, for an unknown or already deceased person, a death before birth or
        a recording time without its UTC offset.
        """
        if recorded_at is not None and recorded_at.utcoffset() is None:
            raise ValueError(f"recorded_at {recorded_at} has no UTC offset")
        recorded = recorded_at if recorded_at is not None else self.clock.now_datetime()
        with self._lock:
            person = self._living(id_number, "id_number")
            if day < person.birth_date:
                raise ValueError(
                    f"date of death {day} is before the birth of {id_number} ({person.birth_date})"
                )
            self._changes.record_death(person, day, recorded)
        return self._changes.apply(person)

    def deaths_after(self, position: int, limit: int) -> list[tuple[int, str, date, datetime]]:
        """Deaths recorded after the first `position` ones, in recording order, at most `limit`:
        (position from 1, ID number, date of death, when it was recorded). Recorded deaths are never
        removed, so a position names the same death for ever: a reader keeps the last one it saw as its
        cursor."""
        if position < 0 or limit < 0:
            raise ValueError(f"position and limit must not be negative, got {position} and {limit}")
        with self._lock:
            deaths = self._changes.deaths
            if position >= len(deaths):
                return []
            recorded = list(islice(deaths.items(), position, min(position + limit, len(deaths))))
            when = [self._changes.recorded[number] for number, _ in recorded]
        return [
            (position + offset + 1, number, day, at)
            for offset, ((number, day), at) in enumerate(zip(recorded, when, strict=True))
        ]

    def record_marriage(self, id_a: str, id_b: str, day: date) -> tuple[m.Citizen, m.Citizen]:
        """Record a registered marriage: both become married (status "2"), each the other's spouse.

        ValueError, changing nothing, unless both are living, unmarried, of opposite sex and born by `day`.
        """
        if id_a == id_b:
            raise ValueError(f"id_b: a person cannot marry themselves ({id_a})")
        with self._lock:
            first, second = self._living(id_a, "id_a"), self._living(id_b, "id_b")
            for role, person in (("id_a", first), ("id_b", second)):
                if person.marital_status == m.MARITAL_MARRIED:
                    raise ValueError(f"{role}: {person.id_number} is already married")
                if person.birth_date > day:
                    raise ValueError(f"{role}: {person.id_number} was born after the marriage date {day}")
            if first.sex == second.sex:
                raise ValueError(
                    f"id_b: {id_a} and {id_b} are of the same sex; the law registers no such marriage"
                )
            self._changes.record_marriage(first, second)
        return self._changes.apply(first), self._changes.apply(second)

    def _living(self, id_number: str, role: str) -> m.Citizen:
        try:
            person = self.citizen(id_number)
        except ValueError as exc:
            raise ValueError(f"{role}: {exc}") from None
        if person is None:
            raise ValueError(f"{role}: {id_number} is not in the population")
        if isinstance(person, DeceasedCitizen):
            raise ValueError(f"{role}: {id_number} is recorded as deceased since {person.death_date}")
        return person

    def sample_ids(self, k: int, rng: random.Random) -> Iterator[str]:
        """`k` distinct ID numbers of the generated population, drawn with `rng`, each derived only
        when it is reached (a caller taking the first suitable one pays for the ones it looked at)."""
        return (self.id_at(index) for index in rng.sample(range(self.size), k))

    def issue_id(self, province_code: str, sex: Sex, birth_year: int) -> str:
        """A new ID number, taken by neither the generated population nor any number issued before."""
        make_id_number(province_code, sex, birth_year, 0)  # validates the parts before anything changes
        with self._lock:
            for _ in range(_ISSUE_ATTEMPTS):
                serial = self._issue_rng.randrange(SERIAL_SPACE)
                candidate = make_id_number(province_code, sex, birth_year, serial)
                if candidate in self._issued or candidate in self._registered:
                    continue
                if self._find(province_code, sex, birth_year, serial) is None:
                    self._issued.add(candidate)
                    return candidate
        raise RuntimeError(f"no free serial found for {province_code}/{sex}/{birth_year}")

    def register_newborn(
        self,
        *,
        family_name: str,
        middle_name: str,
        given_name: str,
        sex: Sex,
        birth_date: date,
        father_id: str | None = None,
        mother_id: str | None = None,
        province_code: str | None = None,
        id_number: str | None = None,
    ) -> m.Citizen:
        """Record a birth so later look-ups find the child; the number is issued unless one issued is given.

        The child joins the household of the mother (else the father); ValueError, changing nothing, on
        unknown parents, bad names, or an `id_number` that was not issued or is already registered.
        """
        request = NewbornRequest(
            family_name=family_name, middle_name=middle_name, given_name=given_name, sex=sex,
            birth_date=birth_date, province_code=province_code or self.province_code,
        )  # fmt: skip
        father = self._parent(father_id, "father", "M")
        mother = self._parent(mother_id, "mother", "F")
        if father is None and mother is None:
            raise ValueError("a newborn needs a known father_id or mother_id")
        if id_number is not None:
            parts = parse_id_number(id_number)
            wanted = (request.province_code, request.sex, request.birth_date.year)
            if (parts.province_code, parts.sex, parts.birth_year) != wanted:
                raise ValueError(f"ID number {id_number} does not match province, sex, birth year {wanted}")
        number = id_number or self.issue_id(request.province_code, request.sex, request.birth_date.year)
        rng = random.Random(derive_key(self.seed, "newborn", number))
        child = newborn_record(request, number, father, mother, rng)
        with self._lock:  # check and record at once, so one number is never registered twice
            if number not in self._issued or number in self._registered:
                raise ValueError(f"ID number {number} was not issued by issue_id or is already registered")
            self._registered[number] = child
        return child

    def _parent(self, id_number: str | None, role: str, sex: Sex) -> m.Citizen | None:
        if id_number is None:
            return None
        try:
            parent = self.citizen(id_number)
        except ValueError as exc:
            raise ValueError(f"{role}_id: {exc}") from None
        if parent is None:
            raise ValueError(f"{role}_id {id_number} is not in the population")
        if parent.sex != sex:
            raise ValueError(f"{role}_id {id_number} belongs to a person of sex {parent.sex}")
        return parent

    # Derivation

    def _chunk_sizes(self, chunk: int) -> tuple[int, ...]:
        people = min(CHUNK_PEOPLE, self.size - chunk * CHUNK_PEOPLE)
        households = CHUNK_HOUSEHOLDS
        if people < CHUNK_PEOPLE:  # the last, partial chunk keeps the same average household size
            households = max(ceil(people / 6), min(people, round(people * CHUNK_HOUSEHOLDS / CHUNK_PEOPLE)))
        rng = random.Random(derive_key(self.seed, "chunk", chunk))
        return tuple(household_sizes(rng, people, households))

    def _household(self, household: int, size: int) -> HouseholdDraft:
        # Read only once drawn: the memo hands the same draft to every caller.
        rng = random.Random(derive_key(self.seed, "household", household))
        return draw_household(rng, size, self.province_code)

    def _serial_permutation(self, province: str, sex: Sex, year: int) -> FeistelPermutation:
        group = (province, century_sex_digit(sex, year), year % 100)
        permutation = self._serials.get(group)
        if permutation is None:  # at most 63 provinces x 4 digits x 100 years: bounded, whatever the size
            permutation = FeistelPermutation(SERIAL_SPACE, derive_key(self.seed, "serial", *group))
            self._serials[group] = permutation
        return permutation

    def _id_of(self, household: int, member: MemberDraft) -> str:
        year = member.birth_date.year
        serial = self._serial_permutation(member.birth_province, member.sex, year).forward(household)
        return make_id_number(member.birth_province, member.sex, year, serial)

    def _find(
        self, province: str, sex: Sex, year: int, serial: int
    ) -> tuple[int, int, HouseholdDraft, int] | None:
        household = self._serial_permutation(province, sex, year).inverse(serial)
        chunk, slot = divmod(household, CHUNK_HOUSEHOLDS)
        if chunk >= self._chunks:
            return None
        sizes = self._sizes(chunk)
        if slot >= len(sizes):
            return None
        draft = self._drafts(household, sizes[slot])
        for position, member in enumerate(draft.members):
            if (member.birth_province, member.sex, member.birth_date.year) == (province, sex, year):
                return household, chunk * CHUNK_PEOPLE + sum(sizes[:slot]), draft, position
        return None

    def _old_id(self, index: int, member: MemberDraft) -> str | None:
        if member.birth_date.year >= 2000:  # CMND gave way to CCCD before they turned 14... almost all
            return None
        prefix = _OLD_ID_PREFIX.get(self.province_code, self.province_code[1:])
        return f"{prefix}{self._old_ids.forward(index):07d}"

    def _citizen(self, household: int, first_index: int, draft: HouseholdDraft, position: int) -> m.Citizen:
        members = draft.members
        me = members[position]
        kin_rng = random.Random(derive_key(self.seed, "kin", first_index + position))
        ids = [self._id_of(household, member) for member in members]
        relatives = [
            m.Relative(
                full_name=member.full_name,
                id_number=ids[i],
                old_id_number=self._old_id(first_index + i, member),
            )
            for i, member in enumerate(members)
        ]
        by_relation = {member.relation: i for i, member in enumerate(members)}
        father, mother, spouse = self._kin(me, members, relatives, kin_rng)
        home = self._home_address(draft)
        current = home
        if me.lives_elsewhere:
            ward_code, ward_name = kin_rng.choice(draft.district.wards)
            detail = f"Số {kin_rng.randint(1, 300)}, {kin_rng.choice(draft.district.streets)}, {ward_name}"
            current = home.model_copy(update={"ward": ward_code, "detail": detail})
        own_birth_place = self._birth_place(me, home)
        father_index = by_relation.get(m.RELATION_FATHER) if position == 0 else None
        if me.relation == m.RELATION_CHILD:
            father_index = next((i for i in _parents_of_children(by_relation) if members[i].sex == "M"), None)
        hometown = own_birth_place
        if father_index is not None and father_index != position:
            hometown = self._birth_place(members[father_index], home)
        under_age = me.age < ADULT_AGE
        return m.Citizen(
            id_number=ids[position],
            old_id_number=relatives[position].old_id_number,
            family_name=me.family_name,
            middle_name=me.middle_name,
            given_name=me.given_name,
            sex=me.sex,
            birth_date=me.birth_date,
            ethnicity=draft.ethnicity,
            religion=draft.religion,
            marital_status=me.marital_status,
            blood_type=me.blood_type,
            birth_registration=own_birth_place,
            hometown=hometown,
            permanent_address=home,
            current_address=current,
            father=father,
            mother=mother,
            spouse=spouse,
            representative=(father if father and father.id_number else mother) if under_age else None,
            household=m.HouseholdLink(
                relation=me.relation,
                head_id_number=ids[0],
                head_old_id_number=relatives[0].old_id_number,
                head_name=members[0].full_name,
                book_number=f"{self.province_code[1:]}{self._books.forward(household):07d}",
            ),
        )

    def _kin(
        self,
        me: MemberDraft,
        members: list[MemberDraft],
        relatives: list[m.Relative],
        rng: random.Random,
    ) -> tuple[m.Relative | None, m.Relative | None, m.Relative | None]:
        """Father, mother and spouse: members of the household where they live there, else named only."""
        by_relation = {member.relation: i for i, member in enumerate(members)}
        spouse_of = {
            m.RELATION_HEAD: (m.RELATION_WIFE, m.RELATION_HUSBAND),
            m.RELATION_WIFE: (m.RELATION_HEAD,),
            m.RELATION_HUSBAND: (m.RELATION_HEAD,),
            m.RELATION_FATHER: (m.RELATION_MOTHER,),
            m.RELATION_MOTHER: (m.RELATION_FATHER,),
        }.get(me.relation, ())
        spouse = next((relatives[by_relation[r]] for r in spouse_of if r in by_relation), None)
        if me.marital_status != m.MARITAL_MARRIED:
            spouse = None
        father = mother = None
        if me.relation == m.RELATION_HEAD:
            father = relatives[by_relation[m.RELATION_FATHER]] if m.RELATION_FATHER in by_relation else None
            mother = relatives[by_relation[m.RELATION_MOTHER]] if m.RELATION_MOTHER in by_relation else None
        elif me.relation == m.RELATION_CHILD:
            for i in _parents_of_children(by_relation):
                if members[i].sex == "M":
                    father = relatives[i]
                else:
                    mother = relatives[i]
        born = me.birth_date.year
        if father is None:
            name = f"{me.family_name} {draw_middle_name(rng, 'M', born - 28)} {draw_given_name(rng, 'M')}"
            father = m.Relative(full_name=name)
        if mother is None:
            given = f"{draw_middle_name(rng, 'F', born - 26)} {draw_given_name(rng, 'F')}"
            mother = m.Relative(full_name=f"{draw_family_name(rng)} {given}")
        return father, mother, spouse

    def _home_address(self, draft: HouseholdDraft) -> m.Address:
        ward_code, ward_name = draft.ward
        detail = f"{draft.detail}, {ward_name}, {draft.district.name}"
        province = self.province_code[1:]
        return m.Address(province=province, district=draft.district.code, ward=ward_code, detail=detail)

    def _birth_place(self, member: MemberDraft, home: m.Address) -> m.Address:
        if member.birth_province == self.province_code:
            return home
        province_name, district, district_name, ward = OTHER_PROVINCE_UNITS[member.birth_province]
        detail = f"{district_name}, {province_name}"
        return m.Address(province=member.birth_province[1:], district=district, ward=ward, detail=detail)


def identity_of(citizen: m.Citizen) -> m.Identity:
    """A record's identity (its date of death when it is a DeceasedCitizen)."""
    died = citizen.death_date if isinstance(citizen, DeceasedCitizen) else None
    return m.Identity(
        citizen.full_name,
        citizen.birth_date,
        citizen.old_id_number,
        citizen.sex,
        citizen.marital_status,
        died,
    )


def _parents_of_children(by_relation: dict[str, int]) -> list[int]:
    """Positions of the head and the head's spouse: the parents of the household's children."""
    couple = (m.RELATION_HEAD, m.RELATION_WIFE, m.RELATION_HUSBAND)
    return [by_relation[relation] for relation in couple if relation in by_relation]
