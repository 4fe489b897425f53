"""Civil adapter against the civil-registry mock in-process: mapping, idempotency, field-named rejections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from adapters.civil import CivilAdapter, CivilConfig, create_adapter
from bus.envelope import Envelope
from bus.errors import BadRequest, ProviderRejected
from lgsp.conformance_profiles.civil import pick_people, samples
from lgsp.mock_provider import mock_provider
from services.citizens import Population
from services.civil import CivilSettings
from vn_calendar import vietnam_today

POPULATION = Population(seed=2023, size=3000)
TODAY = vietnam_today()
SAMPLES = {sample.service.split("/")[4]: sample for sample in samples(pick_people(POPULATION, TODAY), TODAY)}


@pytest.fixture
async def registry() -> AsyncIterator[tuple[CivilAdapter, httpx.AsyncClient]]:
    app = mock_provider(
        "civil", population=POPULATION, latency=False, settings=CivilSettings(pending_rate=0)
    )()
    transport = httpx.ASGITransport(app=app)
    adapter = CivilAdapter(CivilConfig(base_url="http://civil"), transport=transport)
    async with httpx.AsyncClient(transport=transport, base_url="http://civil") as control:
        yield adapter, control
    await adapter.close()


def _envelope(service: str, payload: Any, issue: str | None = "HS-031-2025-000001") -> Envelope:
    return Envelope(
        client="VN/GOV/HPG/STP", service=f"VN/GOV/BTP/HOTICH/{service}/v1", payload=payload, issue=issue
    ).with_deadline(5)


def _payload(service: str) -> dict[str, Any]:
    payload = SAMPLES[service].payload
    assert isinstance(payload, dict)
    return payload


async def test_birth_registration_issues_the_childs_id_and_keeps_the_name_unchanged(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = registry
    answer = await adapter.handle(_envelope("DangKyKhaiSinh", _payload("DangKyKhaiSinh")))
    assert isinstance(answer, dict)
    assert (answer["kind"], answer["status"]) == ("birth", "registered")
    assert answer["dossier_number"] == "HS-031-2025-000001"  # the envelope's issue reached the registry
    assert answer["subject_name"] == _payload("DangKyKhaiSinh")["child"]["full_name"]
    assert str(answer["child_id_number"]).startswith("031") and len(str(answer["child_id_number"])) == 12


async def test_redelivered_registration_takes_effect_once(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = registry
    envelope = _envelope("DangKyKhaiSinh", _payload("DangKyKhaiSinh"), issue=None)
    first = await adapter.handle(envelope)
    again = await adapter.handle(envelope.model_copy(update={"attempt": 2}))
    assert first == again
    assert (await control.get("/_control/effects")).json()["khaisinh"] == 1


async def test_a_clients_retry_with_its_idempotency_key_is_one_certificate_at_the_registry(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = registry
    payload = _payload("XacNhanTinhTrangHonNhan")
    keyed = _envelope("XacNhanTinhTrangHonNhan", payload, issue=None).model_copy(
        update={"idempotency_key": "k-certificate"}
    )
    # The client's retry is a new transaction (new transaction and message ids), under the same key.
    retry = _envelope("XacNhanTinhTrangHonNhan", payload, issue=None).model_copy(
        update={"idempotency_key": "k-certificate"}
    )
    first, again = await adapter.handle(keyed), await adapter.handle(retry)
    assert keyed.correlation_id != retry.correlation_id and keyed.request_code == retry.request_code
    assert first == again  # the registry answered the retry with the first certificate
    assert isinstance(first, dict) and first["dossier_number"] == keyed.request_code
    assert (await control.get("/_control/effects")).json()["xacnhantthn"] == 1


async def test_every_service_answers_its_sample_in_canonical_form(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = registry
    answers = {}
    for index, (service, sample) in enumerate(SAMPLES.items()):
        answers[service] = await adapter.handle(_envelope(service, sample.payload, issue=f"HS-{index:04d}"))
    assert answers["DangKyKetHon"]["marital_status"] == "married"  # type: ignore[index,call-overload]
    assert answers["DangKyKhaiTu"]["kind"] == "death"  # type: ignore[index,call-overload]
    certificate = answers["XacNhanTinhTrangHonNhan"]
    assert certificate["kind"] == "marital_status_certificate"  # type: ignore[index,call-overload]
    lookup = answers["TraCuuHoTich"]
    assert isinstance(lookup, dict) and lookup["found"] is True


async def test_person_lookup_lists_the_records_naming_them(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = registry
    birth = _payload("DangKyKhaiSinh")
    await adapter.handle(_envelope("DangKyKhaiSinh", birth))
    mother_id = birth["mother"]["id_document_number"]
    answer = await adapter.handle(_envelope("TraCuuHoTich", {"person_id": mother_id}))
    assert isinstance(answer, dict) and isinstance(answer["person"], dict)
    assert answer["person"]["full_name"] == birth["mother"]["full_name"]
    assert [record["kind"] for record in answer["person"]["records"]] == ["birth"]  # type: ignore[index,union-attr]


async def test_unknown_record_is_a_clean_not_found(registry: tuple[CivilAdapter, httpx.AsyncClient]) -> None:
    adapter, _ = registry
    answer = await adapter.handle(_envelope("TraCuuHoTich", {"record_id": "KS.031.09999999"}))
    assert answer == {"found": False, "record": None, "person": None}


async def test_registry_rejection_names_the_canonical_field(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = registry
    birth = _payload("DangKyKhaiSinh")
    wrong = birth | {"mother": birth["mother"] | {"full_name": "Hoàng Thị Không Khớp"}}
    with pytest.raises(ProviderRejected, match=r"field 'mother\.full_name'"):
        await adapter.handle(_envelope("DangKyKhaiSinh", wrong))
    assert (await control.get("/_control/effects")).json()["khaisinh"] == 0


async def test_reused_dossier_number_for_another_request_is_rejected_naming_dossier_number(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, _ = registry
    await adapter.handle(_envelope("DangKyKhaiSinh", _payload("DangKyKhaiSinh")))
    with pytest.raises(ProviderRejected, match="field 'dossier_number'"):
        await adapter.handle(_envelope("XacNhanTinhTrangHonNhan", _payload("XacNhanTinhTrangHonNhan")))


async def test_bad_canonical_request_is_refused_before_calling_the_registry(
    registry: tuple[CivilAdapter, httpx.AsyncClient],
) -> None:
    adapter, control = registry
    with pytest.raises(BadRequest, match="person_id"):
        await adapter.handle(_envelope("TraCuuHoTich", {"person_id": "12ab"}))
    with pytest.raises(BadRequest, match="dossier_number"):
        await adapter.handle(_envelope("DangKyKhaiSinh", _payload("DangKyKhaiSinh"), issue="??"))
    faults = (await control.get("/_control/faults")).json()
    assert faults["stats"]["requests"] == 0


def test_factory_refuses_a_bad_config_naming_the_key() -> None:
    with pytest.raises(ValueError, match="timeout_cap"):
        create_adapter({"timeout_cap": -1})
