"""Population adapter against the real population-database mock, served by uvicorn, faults included."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn

from adapters.population import CitizenLookupResponse, PopulationAdapter, create_adapter
from bus.envelope import Envelope
from bus.errors import BadResponse, ProviderError, ProviderRejected, ProviderTimeout, ProviderUnavailable
from services.citizens import Population, make_id_number
from services.faults import FaultControlClient
from services.population.app import create_app

VERIFY_SERVICE = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"
LOOKUP_SERVICE = "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"
POPULATION = Population(seed=2023, size=2000)


def _serve() -> Iterator[str]:
    app = create_app(POPULATION, latency=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("population mock did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    yield from _serve()


@pytest.fixture
async def adapter(mock_url: str) -> AsyncIterator[PopulationAdapter]:
    population = create_adapter({"base_url": mock_url, "timeout_cap": 5})
    await population.start()
    yield population
    await population.close()


@pytest.fixture
async def faults(mock_url: str) -> AsyncIterator[FaultControlClient]:
    async with FaultControlClient(mock_url) as control:
        yield control
        await control.reset()


def _envelope(service: str, payload: object, deadline: float = 5.0) -> Envelope:
    envelope = Envelope(client="VN/GOV/HPG/STP", service=service, payload=payload, user_id="CB-HP-001")
    return envelope.with_deadline(deadline)


def _unknown_id() -> str:
    rng = random.Random(7)
    while True:
        candidate = make_id_number("031", "F", 1990, rng.randrange(1_000_000))
        if POPULATION.citizen(candidate) is None:
            return candidate


async def test_verify_known_citizen_with_matching_name_and_old_id_is_a_match(
    adapter: PopulationAdapter,
) -> None:
    citizen = POPULATION.citizen(POPULATION.id_at(1))
    assert citizen is not None
    payload = {
        "id_number": citizen.id_number,
        "full_name": citizen.full_name,
        "old_id_number": citizen.old_id_number,
    }
    answer = await adapter.handle(_envelope(VERIFY_SERVICE, payload))
    assert isinstance(answer, dict)
    assert (answer["exists"], answer["outcome"]) == (True, "match")


async def test_verify_unknown_citizen_is_a_clean_not_found(adapter: PopulationAdapter) -> None:
    answer = await adapter.handle(_envelope(VERIFY_SERVICE, {"id_number": _unknown_id()}))
    assert isinstance(answer, dict)
    assert (answer["exists"], answer["outcome"]) == (False, "not_found")


async def test_verify_with_wrong_name_is_a_data_mismatch_naming_the_field(adapter: PopulationAdapter) -> None:
    payload = {"id_number": POPULATION.id_at(2), "full_name": "Hoàng Thị Không Khớp"}
    answer = await adapter.handle(_envelope(VERIFY_SERVICE, payload))
    assert isinstance(answer, dict)
    assert (answer["exists"], answer["outcome"]) == (False, "data_mismatch")
    assert "HoVaTen" in str(answer["provider_message"])


async def test_lookup_returns_the_record_with_vietnamese_text_unchanged(adapter: PopulationAdapter) -> None:
    citizen = POPULATION.citizen(POPULATION.id_at(0))
    assert citizen is not None and not citizen.full_name.isascii()  # diacritics are on the line
    payload = {"id_number": citizen.id_number, "birth_date": citizen.birth_date.isoformat()}
    answer = await adapter.handle(_envelope(LOOKUP_SERVICE, payload))
    assert isinstance(answer, dict) and answer["found"] is True and answer["outcome"] == "match"
    record = answer["citizen"]
    assert isinstance(record, dict)
    assert record["id_number"] == citizen.id_number
    assert record["old_id_number"] == citizen.old_id_number
    assert record["name"] == {
        "family_name": citizen.family_name,
        "middle_name": citizen.middle_name,
        "given_name": citizen.given_name,
        "full_name": citizen.full_name,
    }
    assert record["sex"] == {"M": "male", "F": "female"}[citizen.sex]
    assert record["birth_date"] == citizen.birth_date.isoformat()
    assert record["ethnicity_code"] == citizen.ethnicity
    address = citizen.permanent_address
    assert record["permanent_address"] == {
        "province_code": address.province,
        "district_code": address.district,
        "ward_code": address.ward,
        "detail": address.detail,
        "country": address.country,
    }
    assert citizen.father is not None and isinstance(record["father"], dict)
    assert record["father"]["full_name"] == citizen.father.full_name
    assert isinstance(record["household"], dict)
    assert record["household"]["head_full_name"] == citizen.household.head_name
    assert record["household"]["book_number"] == citizen.household.book_number


async def test_lookup_unknown_citizen_is_a_clean_not_found(adapter: PopulationAdapter) -> None:
    answer = await adapter.handle(_envelope(LOOKUP_SERVICE, {"id_number": _unknown_id()}))
    assert isinstance(answer, dict)
    assert (answer["found"], answer["citizen"], answer["outcome"]) == (False, None, "not_found")


async def test_id_with_unknown_province_gets_soap_client_fault_as_provider_rejected(
    adapter: PopulationAdapter,
) -> None:
    with pytest.raises(ProviderRejected, match="unknown province code"):
        await adapter.handle(_envelope(LOOKUP_SERVICE, {"id_number": "999095001234"}))


async def test_concurrent_lookups_share_the_pool_and_each_gets_its_own_citizen(
    adapter: PopulationAdapter,
) -> None:
    ids = [POPULATION.id_at(index) for index in range(20)]
    answers = await asyncio.gather(
        *(adapter.handle(_envelope(LOOKUP_SERVICE, {"id_number": number})) for number in ids)
    )
    citizens = [CitizenLookupResponse.model_validate(answer).citizen for answer in answers]
    returned = [citizen.id_number if citizen else None for citizen in citizens]
    assert returned == ids


@pytest.mark.chaos
async def test_provider_hang_with_short_deadline_is_provider_timeout(
    adapter: PopulationAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"timeout_rate": 1.0, "hang_seconds": 30.0})
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await adapter.handle(_envelope(VERIFY_SERVICE, {"id_number": POPULATION.id_at(0)}, deadline=0.5))
    assert time.monotonic() - started < 3  # the mock would hang for 30 s


@pytest.mark.chaos
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"error_rate": 1.0, "soap_fault": True}, ProviderError),
        ({"error_rate": 1.0, "soap_fault": False, "error_status": 500}, ProviderError),
        ({"error_rate": 1.0, "soap_fault": False, "error_status": 503}, ProviderUnavailable),
        ({"outage": True}, ProviderUnavailable),
        ({"malformed_rate": 1.0}, BadResponse),
    ],
    ids=["soap-server-fault", "http-500", "http-503", "outage", "malformed"],
)
async def test_injected_fault_maps_to_taxonomy_error(
    adapter: PopulationAdapter, faults: FaultControlClient, changes: dict[str, object], error: type[Exception]
) -> None:
    await faults.patch(changes)
    with pytest.raises(error) as raised:
        await adapter.handle(_envelope(LOOKUP_SERVICE, {"id_number": POPULATION.id_at(0)}))
    assert type(raised.value) is error


@pytest.mark.chaos
async def test_rate_limited_provider_is_unavailable_with_retry_after(
    adapter: PopulationAdapter, faults: FaultControlClient
) -> None:
    await faults.patch({"rate_limit_per_second": 0.5})
    with pytest.raises(ProviderUnavailable) as raised:
        for _ in range(5):  # the bucket lets the first request or two through
            await adapter.handle(_envelope(VERIFY_SERVICE, {"id_number": POPULATION.id_at(0)}))
    assert raised.value.retry_after is not None and raised.value.retry_after >= 1
