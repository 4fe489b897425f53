"""Judicial-records adapter against its mock in-process: request, poll to the certificate, revocation."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.lltp import LltpAdapter, LltpConfig
from bus.errors import ProviderRejected
from services.lltp import LltpSettings, create_app
from tests.adapters.agency_harness import advance, effects, envelope, served
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

PREFIX = "VN/GOV/BTP/LLTP"
CODE = "H31.29-20261207-0001"


@pytest.fixture
def people() -> Family:
    return family()


@pytest.fixture
async def system(people: Family) -> AsyncIterator[tuple[LltpAdapter, httpx.AsyncClient]]:
    settings = LltpSettings(late_rate=0, refusal_rate=0, conviction_rate=0)
    app = create_app(people.population, settings=settings, latency=False)
    async with served(app, LltpAdapter, LltpConfig(base_url="http://lltp")) as pair:
        yield pair


def certificate_request(people: Family, **changes: Any) -> dict[str, Any]:
    person = people.mother
    return {
        "certificate_type": 1,
        "purpose": "Bổ sung hồ sơ xin việc",
        "applicant": {
            "full_name": person.full_name,
            "sex": "female",
            "birth_date": person.birth_date.isoformat(),
            "birth_place": "Hải Phòng",
            "id_number": person.id_number,
            "id_issued_on": "2021-05-10",
            "id_issued_by": "Cục Cảnh sát QLHC về TTXH",
            "permanent_address": person.permanent_address.detail,
        },
        "residence_history": [{"from_month": "2004-08", "place": "Lạch Tray, Ngô Quyền, Hải Phòng"}],
        "appointment_date": (vietnam_today() + timedelta(days=21)).isoformat(),
    } | changes


async def test_a_request_is_polled_to_its_certificate_and_then_revoked(
    system: tuple[LltpAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    filed = await adapter.handle(envelope(f"{PREFIX}/DangKyCapPhieu/v1", certificate_request(people)))
    assert isinstance(filed, dict) and filed["status"] == "received" and filed["source"] == "one_stop"
    assert filed["dossier_number"] == CODE and filed["system_id"].startswith("LLTP.31.")
    waiting = await adapter.handle(envelope(f"{PREFIX}/TraCuuKetQua/v1", {"dossier_number": CODE}))
    assert isinstance(waiting, dict) and waiting["case"]["certificate"] is None
    await advance(control, 24 * 20)
    polled = await adapter.handle(envelope(f"{PREFIX}/TraCuuKetQua/v1", {"dossier_number": CODE}))
    assert isinstance(polled, dict)
    certificate = polled["case"]["certificate"]
    assert polled["case"]["status"] == "issued" and certificate["criminal_record"] == "none"
    assert base64.b64decode(certificate["pdf_base64"]).startswith(b"%PDF")
    decision = {
        "dossier_number": CODE,
        "decision_number": "12/QĐ-STP",
        "decision_date": "2027-01-05",
        "reason": "Cấp sai đối tượng",
        "signer": "Lê Văn An",
    }
    revoked = await adapter.handle(envelope(f"{PREFIX}/ThuHoiPhieu/v1", decision))
    again = await adapter.handle(envelope(f"{PREFIX}/ThuHoiPhieu/v1", decision))
    assert isinstance(revoked, dict) and revoked["status"] == "revoked"
    assert again == revoked and (await effects(control))["thu_hoi"] == 1


async def test_a_proxy_for_certificate_no_2_is_refused_in_canonical_terms(
    system: tuple[LltpAdapter, httpx.AsyncClient], people: Family
) -> None:
    adapter, control = system
    proxy = {"full_name": "Lê Văn An", "id_number": people.adult.id_number, "relationship": "Anh"}
    request = certificate_request(people, certificate_type=2, proxy=proxy)
    with pytest.raises(ProviderRejected, match=r"PHIEU_SO_2_KHONG_DUOC_UY_QUYEN.*field 'proxy'"):
        await adapter.handle(envelope(f"{PREFIX}/DangKyCapPhieu/v1", request))
    assert (await effects(control))["dang_ky"] == 0


async def test_a_wrong_province_in_the_config_is_refused_naming_it(people: Family) -> None:
    app = create_app(people.population, settings=LltpSettings(), latency=False)
    async with served(app, LltpAdapter, LltpConfig(base_url="http://lltp", province="01")) as (adapter, _):
        with pytest.raises(ProviderRejected, match=r"SAI_MA_TINH.*province \(adapter config\)"):
            await adapter.handle(envelope(f"{PREFIX}/DangKyCapPhieu/v1", certificate_request(people)))


async def test_an_unknown_request_polls_as_not_found(system: tuple[LltpAdapter, httpx.AsyncClient]) -> None:
    adapter, _ = system
    answer = await adapter.handle(envelope(f"{PREFIX}/TraCuuKetQua/v1", {"dossier_number": "KHONG-CO-HS"}))
    assert answer == {"found": False, "case": None}
