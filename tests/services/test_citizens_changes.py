"""Deaths and marriages reach the shared Population: directly, through the civil registry, and on the
population database's SOAP answer (TinhTrangHonNhan, VoChong, NgayMat)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from lxml import etree

from services.citizens import Citizen, Population
from services.citizens.civil_status import DeceasedCitizen
from services.civil.app import create_app as create_civil
from services.population import create_app as create_population
from tests.services.test_civil_births import find_citizen
from tests.services.test_civil_status import death_body, marriage_body, single
from tests.services.test_population_soap import MIC, content_of, lookup_body, post
from vn_calendar import vietnam_today

TODAY = vietnam_today()


@pytest.fixture
def population() -> Population:
    return Population(seed=2023, size=20_000)


@pytest.fixture
async def apps(population: Population) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    civil = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_civil(population, latency=False)),
                              base_url="http://civil.test", timeout=10)  # fmt: skip
    soap = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_population(population, latency=False)),
                             base_url="http://population.test", timeout=10)  # fmt: skip
    async with civil, soap:
        yield civil, soap


def married_couple(population: Population) -> tuple[Citizen, Citizen]:
    """A married person whose spouse is a household member with an ID number."""
    person = find_citizen(
        population,
        lambda c: c.marital_status == "2" and c.spouse is not None and c.spouse.id_number is not None,
    )
    assert person.spouse is not None and person.spouse.id_number is not None
    spouse = population.citizen(person.spouse.id_number)
    assert spouse is not None
    return person, spouse


def test_recorded_death_marks_the_citizen_deceased_and_widows_the_spouse(population: Population) -> None:
    person, spouse = married_couple(population)
    died = TODAY - timedelta(days=3)
    population.record_death(person.id_number, died)
    dead = population.citizen(person.id_number)
    assert isinstance(dead, DeceasedCitizen) and dead.death_date == died
    assert dead.full_name == person.full_name and dead.birth_date == person.birth_date
    widowed = population.citizen(spouse.id_number)
    assert widowed is not None and not isinstance(widowed, DeceasedCitizen)
    assert widowed.marital_status == "4" and widowed.spouse is None


def test_recorded_marriage_makes_both_married_and_names_each_spouse(population: Population) -> None:
    husband = find_citizen(population, single("M", 25, 40))
    wife = find_citizen(population, single("F", 22, 40))
    population.record_marriage(husband.id_number, wife.id_number, TODAY)
    for me, other in ((husband, wife), (wife, husband)):
        now = population.citizen(me.id_number)
        assert now is not None and now.marital_status == "2"
        assert now.spouse is not None
        assert (now.spouse.id_number, now.spouse.full_name) == (other.id_number, other.full_name)


@pytest.mark.parametrize(
    "problem",
    ["same person", "already married", "same sex", "unknown", "deceased", "born after the date"],
)
def test_bad_marriage_is_refused_and_changes_nothing(population: Population, problem: str) -> None:
    husband = find_citizen(population, single("M", 25, 40))
    wife = find_citizen(population, single("F", 22, 40))
    other_man = find_citizen(population, single("M", 41, 60))
    a, b, day = husband.id_number, wife.id_number, TODAY
    if problem == "same person":
        b = a
    elif problem == "already married":
        a = find_citizen(population, lambda c: c.sex == "M" and c.marital_status == "2").id_number
    elif problem == "same sex":
        b = other_man.id_number
    elif problem == "unknown":
        b = "031" + "3" + "99" + "999999"
        assert population.citizen(b) is None
    elif problem == "deceased":
        population.record_death(wife.id_number, TODAY - timedelta(days=1))
    else:
        day = husband.birth_date - timedelta(days=1)
    before = {n: population.citizen(n) for n in (husband.id_number, wife.id_number, other_man.id_number)}
    with pytest.raises(ValueError):
        population.record_marriage(a, b, day)
    assert {n: population.citizen(n) for n in before} == before


def test_second_death_or_death_before_birth_is_refused(population: Population) -> None:
    person = find_citizen(population, lambda c: c.marital_status == "1")
    with pytest.raises(ValueError, match="before the birth"):
        population.record_death(person.id_number, person.birth_date - timedelta(days=1))
    assert population.citizen(person.id_number) == person
    population.record_death(person.id_number, TODAY)
    with pytest.raises(ValueError, match="deceased"):
        population.record_death(person.id_number, TODAY)


def test_memory_holds_only_what_was_registered(population: Population) -> None:
    for index in range(2000):
        population.citizen(population.id_at(index))
    changes = population._changes  # the overlay is the only place changes live
    assert (changes.deaths, changes.marital, changes.spouses) == ({}, {}, {})


async def test_civil_death_reaches_the_population_and_its_soap_record(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], population: Population
) -> None:
    civil, soap = apps
    person, spouse = married_couple(population)
    answer = await civil.post("/api/v1/hotich/khaitu", json=death_body(person, "H31.29-20250105-0101"))
    assert answer.status_code == 201, answer.text
    dead = population.citizen(person.id_number)
    assert isinstance(dead, DeceasedCitizen) and dead.death_date == TODAY - timedelta(days=2)
    record = content_of(await post(soap, lookup_body(SoDinhDanh=person.id_number)))
    congdan = record.find(f"{{{MIC}}}CongDan")
    assert congdan is not None
    assert congdan.findtext(f"{{{MIC}}}NgayMat") == (TODAY - timedelta(days=2)).strftime("%Y%m%d")
    assert etree.QName(congdan[-1]).localname == "NgayMat"  # last, as the WSDL's sequence says
    widow = content_of(await post(soap, lookup_body(SoDinhDanh=spouse.id_number))).find(f"{{{MIC}}}CongDan")
    assert widow is not None
    assert widow.findtext(f"{{{MIC}}}TinhTrangHonNhan") == "4"
    assert widow.find(f"{{{MIC}}}NgayMat") is None and widow.find(f"{{{MIC}}}VoChong") is None


async def test_civil_marriage_reaches_the_population_and_its_soap_record(
    apps: tuple[httpx.AsyncClient, httpx.AsyncClient], population: Population
) -> None:
    civil, soap = apps
    husband = find_citizen(population, single("M", 25, 40))
    wife = find_citizen(population, single("F", 22, 40))
    before = content_of(await post(soap, lookup_body(SoDinhDanh=wife.id_number))).find(f"{{{MIC}}}CongDan")
    assert before is not None and before.findtext(f"{{{MIC}}}TinhTrangHonNhan") == "1"
    body = marriage_body(husband, wife, "H31.29-20250105-0102")
    assert (await civil.post("/api/v1/hotich/kethon", json=body)).status_code == 201
    replay = await civil.post("/api/v1/hotich/kethon", json=body)
    assert replay.status_code == 200  # the same dossier again: no second marriage
    after = content_of(await post(soap, lookup_body(SoDinhDanh=wife.id_number))).find(f"{{{MIC}}}CongDan")
    assert after is not None
    assert after.findtext(f"{{{MIC}}}TinhTrangHonNhan") == "2"
    assert after.findtext(f"{{{MIC}}}VoChong/{{{MIC}}}SoDinhDanh") == husband.id_number
    assert after.findtext(f"{{{MIC}}}VoChong/{{{MIC}}}HoVaTen") == husband.full_name
    assert after.find(f"{{{MIC}}}NgayMat") is None


def test_changes_recorded_after_a_memoised_read_still_show(population: Population) -> None:
    person, spouse = married_couple(population)
    first, again = population.citizen(person.id_number), population.citizen(person.id_number)
    assert first is again  # the derived person is memoised: the second read did not derive it anew
    died = TODAY - timedelta(days=1)
    population.record_death(person.id_number, died)
    dead, widowed = population.citizen(person.id_number), population.citizen(spouse.id_number)
    assert isinstance(dead, DeceasedCitizen) and dead.death_date == died
    assert widowed is not None and widowed.marital_status == "4" and widowed.spouse is None
    husband = find_citizen(population, single("M", 25, 40))
    wife = find_citizen(population, single("F", 22, 40))
    population.citizen(husband.id_number)
    population.record_marriage(husband.id_number, wife.id_number, TODAY)
    married = population.citizen(husband.id_number)
    assert married is not None and married.marital_status == "2"
    assert married.spouse is not None and married.spouse.id_number == wife.id_number
