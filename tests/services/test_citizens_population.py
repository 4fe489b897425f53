"""The synthetic population: valid, unique, deterministic, coherent, and O(1) in memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tracemalloc
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from services.citizens import Citizen, Identity, Population, make_id_number, parse_id_number
from services.citizens.households import REFERENCE_DATE
from services.citizens.population import identity_of

SMALL = 5_000


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023)


@pytest.fixture(scope="module")
def sample(population: Population) -> list[Citizen]:
    ids = list(population.sample_ids(3_000, random.Random(11)))
    found = [population.citizen(number) for number in ids]
    assert all(citizen is not None for citizen in found)
    return [citizen for citizen in found if citizen is not None]


def _age(citizen: Citizen) -> int:
    born, today = citizen.birth_date, REFERENCE_DATE
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_default_population_is_two_million_people(population: Population) -> None:
    assert len(population) == 2_000_000
    population.id_at(1_999_999)
    with pytest.raises(IndexError, match=r"outside \[0, 2000000\)"):
        population.id_at(2_000_000)


@pytest.mark.parametrize("size", [1, 7, 23, 1_001, SMALL])
def test_every_person_of_a_small_population_has_a_distinct_id_that_leads_back_to_them(size: int) -> None:
    people = Population(seed=5, size=size)
    ids = [people.id_at(index) for index in range(size)]
    assert len(set(ids)) == size
    for number in ids[:: max(1, size // 500)]:
        citizen = people.citizen(number)
        assert citizen is not None and citizen.id_number == number


@pytest.mark.slow
def test_ids_are_unique_over_a_large_sample_of_the_default_population(population: Population) -> None:
    ids = list(population.sample_ids(40_000, random.Random(3)))
    assert len(set(ids)) == len(ids)
    for number in ids[::40]:
        citizen = population.citizen(number)
        assert citizen is not None and citizen.id_number == number


def test_ids_follow_the_circular_layout_and_agree_with_the_record(sample: list[Citizen]) -> None:
    for citizen in sample:
        parts = parse_id_number(citizen.id_number)
        assert parts.sex == citizen.sex
        assert parts.birth_year == citizen.birth_date.year
        region = citizen.birth_registration.province
        assert parts.province_code == f"0{region}"
    provinces = Counter(citizen.id_number[:3] for citizen in sample)
    assert provinces["031"] / len(sample) > 0.75  # mostly registered at birth in Hải Phòng
    assert len(provinces) >= 5  # and some born elsewhere


def test_well_formed_ids_outside_the_population_are_not_found(population: Population) -> None:
    rng = random.Random(8)
    numbers = [make_id_number("031", rng.choice("MF"), rng.randint(1930, 2023), rng.randrange(10**6))  # type: ignore[arg-type]
               for _ in range(300)]  # fmt: skip
    found = [population.citizen(number) for number in numbers]
    # 2 M people spread over ~190 (sex, year) groups of a million serials: most random numbers are free.
    assert sum(citizen is None for citizen in found) > 200
    assert all(citizen.id_number == number for citizen, number in zip(found, numbers, strict=True) if citizen)


def test_malformed_id_is_a_value_error_not_a_miss(population: Population) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        population.citizen("12345")


def test_same_seed_gives_the_same_people_in_another_process() -> None:
    script = (
        "import json; from services.citizens import Population; p = Population(seed=77);"
        "print(json.dumps([p.citizen(p.id_at(i)).model_dump(mode='json') for i in (0, 12345, 1999999)]))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )  # fmt: skip
    people = Population(seed=77)
    here = [people.citizen(people.id_at(i)) for i in (0, 12345, 1_999_999)]
    assert json.loads(other.stdout) == [citizen.model_dump(mode="json") for citizen in here if citizen]


def test_another_seed_gives_other_people() -> None:
    first, second = Population(seed=1), Population(seed=2)
    assert [first.id_at(i) for i in range(50)] != [second.id_at(i) for i in range(50)]


@pytest.mark.slow
def test_memory_does_not_grow_with_the_population() -> None:
    tracemalloc.start()
    try:
        stored = []
        before, _ = tracemalloc.get_traced_memory()
        people = Population(seed=9)
        for number in people.sample_ids(200, random.Random(1)):
            stored.append(people.citizen(number))
        one_record = (tracemalloc.get_traced_memory()[0] - before) / 200
        stored.clear()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        people = Population(seed=10)
        # the bound below leaves room for len(people) / 1000 records: keeping everyone looked up breaks it
        lookups = 2 * len(people) // 1000
        for number in people.sample_ids(lookups, random.Random(2)):
            assert people.citizen(number) is not None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    storing_everyone = one_record * len(people)
    print(f"lookup peak {peak - before:,} B; storing everyone ≈ {storing_everyone:,.0f} B")
    assert peak - before < storing_everyone / 1000, (peak - before, storing_everyone)


def test_names_are_vietnamese_with_diacritics_in_nfc(sample: list[Citizen]) -> None:
    for citizen in sample:
        for part in (citizen.family_name, citizen.middle_name, citizen.given_name):
            assert part and unicodedata.normalize("NFC", part) == part
    families = Counter(citizen.family_name for citizen in sample)
    assert 0.33 < families["Nguyễn"] / len(sample) < 0.45
    assert {"Trần", "Lê", "Phạm", "Đặng", "Bùi", "Đỗ"} <= families.keys()
    middles = Counter((citizen.sex, citizen.middle_name) for citizen in sample)
    assert middles[("F", "Thị")] > 0 and middles[("M", "Văn")] > 0
    assert middles[("M", "Thị")] == 0 and middles[("F", "Văn")] == 0


def test_age_pyramid_and_codes_are_realistic(sample: list[Citizen]) -> None:
    ages = [_age(citizen) for citizen in sample]
    assert 0.15 < sum(age < 15 for age in ages) / len(ages) < 0.32
    assert 0.04 < sum(age >= 65 for age in ages) / len(ages) < 0.15
    assert max(ages) <= 105 and min(ages) >= 0
    assert 0.4 < sum(c.sex == "M" for c in sample) / len(sample) < 0.6
    assert sum(c.ethnicity == "01" for c in sample) / len(sample) > 0.95
    assert sum(c.religion == "00" for c in sample) / len(sample) > 0.75
    assert {c.blood_type for c in sample} == {"O", "A", "B", "AB"}


def test_marital_status_and_old_id_cards_agree_with_age(sample: list[Citizen]) -> None:
    for citizen in sample:
        if _age(citizen) < 18:
            assert citizen.marital_status == "1" and citizen.spouse is None
            assert citizen.representative is not None and citizen.representative.id_number
        if citizen.birth_date.year >= 2000:
            assert citizen.old_id_number is None
    old = [c.old_id_number for c in sample if c.old_id_number]
    assert old and all(len(number) == 9 and number.isdigit() for number in old)
    assert len(set(old)) == len(old)
    assert Counter(c.marital_status for c in sample).keys() == {"1", "2", "3", "4"}


def test_addresses_carry_hai_phong_codes(sample: list[Citizen]) -> None:
    districts = Counter(citizen.permanent_address.district for citizen in sample)
    assert {"303", "304", "305", "311", "316"} <= districts.keys()
    for citizen in sample:
        address = citizen.permanent_address
        assert address.province == "31" and address.country == "VN"
        assert len(address.ward) == 5 and address.ward.isdigit()
        assert address.detail


def test_household_members_reference_each_other_coherently(population: Population) -> None:
    married_heads = 0
    for index in range(0, 3_000):
        citizen = population.citizen(population.id_at(index))
        assert citizen is not None
        head = population.citizen(citizen.household.head_id_number)
        assert head is not None and head.household.relation == "CH01" and _age(head) >= 18
        assert head.full_name == citizen.household.head_name
        assert head.household.book_number == citizen.household.book_number
        if citizen.spouse is not None and citizen.spouse.id_number:
            spouse = population.citizen(citizen.spouse.id_number)
            assert spouse is not None and spouse.sex != citizen.sex
            assert spouse.spouse is not None and spouse.spouse.id_number == citizen.id_number
            married_heads += citizen.household.relation == "CH01"
        for parent_block, sex in ((citizen.father, "M"), (citizen.mother, "F")):
            if parent_block is not None and parent_block.id_number:
                parent = population.citizen(parent_block.id_number)
                assert parent is not None and parent.sex == sex
                assert _age(parent) - _age(citizen) >= 15
                if sex == "M":
                    assert parent.family_name == citizen.family_name
    assert married_heads > 300


def test_congdan_record_has_the_domain_fields(population: Population) -> None:
    citizen = population.citizen(population.id_at(3))
    assert citizen is not None
    record = citizen.to_congdan().model_dump()
    assert list(record) == [
        "SoDinhDanh", "SoCMND", "HoVaTen", "GioiTinh", "DanToc", "TonGiao", "TinhTrangHonNhan", "NhomMau",
        "NgayThangNamSinh", "NoiDangKyKhaiSinh", "QueQuan", "ThuongTru", "NoiOHienTai", "Cha", "Me",
        "VoChong", "NguoiDaiDien", "ChuHo", "SoSoHoKhau",
    ]  # fmt: skip
    name = {"Ho": citizen.family_name, "ChuDem": citizen.middle_name, "Ten": citizen.given_name}
    assert record["HoVaTen"] == name
    assert record["GioiTinh"] == {"M": "1", "F": "2"}[citizen.sex]
    assert record["NgayThangNamSinh"] == {
        "Nam": str(citizen.birth_date.year),
        "NgayThangNam": citizen.birth_date.strftime("%Y%m%d"),
    }
    assert set(record["ThuongTru"]) == {"MaTinhThanh", "MaQuanHuyen", "MaPhuongXa", "ChiTiet", "QuocGia"}
    assert set(record["ChuHo"]) == {"QuanHe", "SoDinhDanh", "SoCMND", "HoVaTen"}
    assert set(record["Cha"]) == {"HoVaTen", "QuocTich", "SoDinhDanh", "SoCMND"}


def test_issued_ids_never_collide_with_the_population_or_each_other() -> None:
    people = Population(seed=4, size=200_000)
    # 1990 men: a crowded group, so collisions with generated people would show.
    issued = [people.issue_id("031", "M", 1990) for _ in range(2_000)]
    assert len(set(issued)) == len(issued)
    for number in issued:
        assert people.citizen(number) is None  # issued but not registered: still unknown
        assert parse_id_number(number).birth_year == 1990
    generated = {people.id_at(index) for index in range(0, 200_000, 7)}
    assert not generated & set(issued)


def test_issue_id_rejects_bad_parts_and_changes_nothing(population: Population) -> None:
    with pytest.raises(ValueError, match="unknown province code"):
        population.issue_id("999", "M", 2024)
    with pytest.raises(ValueError, match="outside 1900-2099"):
        population.issue_id("031", "F", 2100)


def _parents(people: Population) -> tuple[Citizen, Citizen]:
    for index in range(2_000):
        head = people.citizen(people.id_at(index))
        is_head = head is not None and head.household.relation == "CH01"
        if head and is_head and head.spouse and head.spouse.id_number and _age(head) < 40:
            spouse = people.citizen(head.spouse.id_number)
            assert spouse is not None
            return (head, spouse) if head.sex == "M" else (spouse, head)
    raise AssertionError("no young couple among the first 2,000 people")


def test_registered_newborn_is_found_by_a_later_lookup() -> None:
    people = Population(seed=6, size=50_000)
    father, mother = _parents(people)
    child = people.register_newborn(
        family_name=father.family_name, middle_name="Gia", given_name="Bảo", sex="M",
        birth_date=date(2024, 3, 15), father_id=father.id_number, mother_id=mother.id_number,
    )  # fmt: skip
    assert parse_id_number(child.id_number).birth_year == 2024
    assert people.citizen(child.id_number) == child
    assert child.father is not None and child.father.id_number == father.id_number
    assert child.mother is not None and child.mother.id_number == mother.id_number
    assert child.permanent_address == mother.permanent_address
    assert child.household.head_id_number == mother.household.head_id_number
    assert child.household.relation == "CH04"
    assert child.full_name == f"{father.family_name} Gia Bảo"


def test_registering_with_an_issued_number_uses_it_once() -> None:
    people = Population(seed=6, size=50_000)
    _, mother = _parents(people)
    number = people.issue_id("031", "F", 2024)
    details = dict(family_name="Lê", middle_name="Thu", given_name="Hà", sex="F", birth_date=date(2024, 5, 2))
    child = people.register_newborn(**details, mother_id=mother.id_number, id_number=number)  # type: ignore[arg-type]
    assert child.id_number == number and people.citizen(number) == child
    with pytest.raises(ValueError, match="already registered"):
        people.register_newborn(**details, mother_id=mother.id_number, id_number=number)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mother_id": None}, "needs a known father_id or mother_id"),
        ({"mother_id": "031199000000"}, "not in the population"),
        ({"mother_id": "12"}, "mother_id: an ID number has 12 digits"),
        ({"given_name": "  "}, "given_name"),
        ({"province_code": "999"}, "unknown province code"),
        ({"id_number": "031324000001"}, "was not issued"),
        ({"id_number": "031224000001"}, "does not match"),
    ],
)
def test_bad_newborn_registration_is_refused_and_changes_nothing(
    change: dict[str, object], message: str
) -> None:
    people = Population(seed=6, size=50_000)
    _, mother = _parents(people)
    request: dict[str, object] = {
        "family_name": "Lê", "middle_name": "Thu", "given_name": "Hà", "sex": "F",
        "birth_date": date(2024, 5, 2), "mother_id": mother.id_number,
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        people.register_newborn(**{**request, **change})  # type: ignore[arg-type]
    assert people.citizen("031324000001") is None
    assert people._registered == {}


def test_a_father_given_as_mother_is_refused() -> None:
    people = Population(seed=6, size=50_000)
    father, _ = _parents(people)
    with pytest.raises(ValueError, match="belongs to a person of sex M"):
        people.register_newborn(
            family_name="Lê", middle_name="", given_name="An", sex="M", birth_date=date(2024, 1, 9),
            mother_id=father.id_number,
        )  # fmt: skip


def test_one_issued_number_is_registered_once_under_concurrency() -> None:
    people = Population(seed=6, size=50_000)
    _, mother = _parents(people)
    number = people.issue_id("031", "M", 2024)

    def register(_: int) -> str:
        try:
            people.register_newborn(
                family_name="Lê", middle_name="", given_name="An", sex="M", birth_date=date(2024, 1, 9),
                mother_id=mother.id_number, id_number=number,
            )  # fmt: skip
        except ValueError:
            return "refused"
        return "registered"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(register, range(16)))
    assert outcomes == {"registered": 1, "refused": 15}


def test_importing_the_population_pulls_in_no_web_or_asyncio_stack() -> None:
    script = (
        "import sys; from services.citizens import Population; Population();"
        "print(sorted(m for m in ('fastapi', 'starlette', 'asyncio', 'uvicorn') if m in sys.modules))"
    )
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_package_docstring_example_runs() -> None:
    import doctest

    import services.citizens

    result = doctest.testmod(services.citizens)
    assert result.attempted > 0 and result.failed == 0


def _identity_of(citizen: Citizen | None) -> Identity | None:
    return None if citizen is None else identity_of(citizen)


def test_identity_is_the_record_less_relatives_and_addresses() -> None:
    people = Population(seed=11, size=30_000)
    numbers = [people.id_at(index) for index in random.Random(3).sample(range(len(people)), 400)]
    numbers += ["031199000000", "031299999999"]  # well-formed, most likely nobody
    for number in numbers:
        assert people.identity(number) == _identity_of(people.citizen(number))
    person = people.citizen(numbers[0])
    assert person is not None
    assert people.identity(numbers[0]) == Identity(
        person.full_name, person.birth_date, person.old_id_number, person.sex, person.marital_status
    )
    with pytest.raises(ValueError, match="12 digits"):
        people.identity("12")


def test_identity_follows_registered_births_deaths_and_marriages() -> None:
    people = Population(seed=6, size=50_000)
    father, mother = _parents(people)
    number = people.issue_id("031", "F", 2024)
    assert people.identity(number) is None  # remembered as nobody, until registered
    people.register_newborn(
        family_name="Lê", middle_name="Thu", given_name="Hà", sex="F", birth_date=date(2024, 5, 2),
        mother_id=mother.id_number, id_number=number,
    )  # fmt: skip
    assert people.identity(number) == Identity("Lê Thu Hà", date(2024, 5, 2), None, "F", "1")
    people.record_death(number, date(2025, 1, 2))
    assert people.identity(number) == Identity(
        "Lê Thu Hà", date(2024, 5, 2), None, "F", "1", date(2025, 1, 2)
    )
    single = [people.citizen(people.id_at(index)) for index in range(2_000)]
    man = next(
        p for p in single if p and p.sex == "M" and p.marital_status == "1" and p.birth_date.year < 1995
    )
    woman = next(
        p for p in single if p and p.sex == "F" and p.marital_status == "1" and p.birth_date.year < 1995
    )
    for person in (father, mother, man, woman):
        people.identity(person.id_number)  # memoised before the changes
    people.record_death(father.id_number, date(2025, 1, 3))
    people.record_marriage(man.id_number, woman.id_number, date(2025, 1, 4))
    for person in (father, mother, man, woman):
        changed = people.identity(person.id_number)
        assert changed == _identity_of(people.citizen(person.id_number))
    assert people.identity(father.id_number).death_date == date(2025, 1, 3)  # type: ignore[union-attr]
    assert people.identity(man.id_number).marital_status == "2"  # type: ignore[union-attr]


def test_a_household_kept_from_a_draw_gives_the_same_people_as_a_fresh_one() -> None:
    drawn, fresh = Population(seed=12, size=40_000), Population(seed=12, size=40_000)
    for number in drawn.sample_ids(300, random.Random(5)):  # each household drawn by id_at, then kept
        assert drawn.citizen(number) == fresh.citizen(number)
        assert drawn.identity(number) == fresh.identity(number)
