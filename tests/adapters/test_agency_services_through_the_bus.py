"""The new agency services as the default catalog declares them, through a real gateway and worker
(memory transport) to the mocks in-process: access rights, the dossier code as the X-Road issue, answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import yaml

from adapters.insurance import InsuranceAdapter, InsuranceConfig
from adapters.lltp import LltpAdapter, LltpConfig
from adapters.residence import ResidenceAdapter, ResidenceConfig
from adapters.social import SocialAdapter, SocialConfig
from bus.catalog import Catalog
from bus.gateway.app import create_gateway
from bus.transport import make_transport
from bus.worker import Worker
from lgsp.default_catalog import DEFAULT_CATALOG
from services import insurance, lltp, residence, social
from tests.adapters.agency_harness import child_card_request
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

AGENCIES = ("residence", "insurance", "social", "lltp")
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key"}
MOTCUA = {"X-Road-Client": "VN/GOV/HPG/MOTCUA", "X-Api-Key": "motcua-demo-key"}
PORTAL = {"X-Road-Client": "VN/GOV/DVCQG/PORTAL", "X-Api-Key": "portal-demo-key"}


def agency_catalog() -> Catalog:
    """The default catalog's clients and the new agencies' services, exactly as declared there."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["services"] = [s for s in data["services"] if s["adapter"] in AGENCIES]
    data["adapters"] = {name: data["adapters"][name] for name in AGENCIES}
    return Catalog.model_validate(data)


@dataclass
class Bus:
    gateway: httpx.AsyncClient
    people: Family


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    people = family()
    apps = {
        "residence": residence.create_app(people.population, latency=False),
        "insurance": insurance.create_app(people.population, latency=False),
        "social": social.create_app(people.population, latency=False),
        "lltp": lltp.create_app(people.population, latency=False),
    }
    asgi = {name: httpx.ASGITransport(app=app) for name, app in apps.items()}
    adapters = {
        "residence": ResidenceAdapter(
            ResidenceConfig(base_url="http://residence"), transport=asgi["residence"]
        ),
        "insurance": InsuranceAdapter(
            InsuranceConfig(base_url="http://insurance"), transport=asgi["insurance"]
        ),
        "social": SocialAdapter(SocialConfig(base_url="http://social"), transport=asgi["social"]),
        "lltp": LltpAdapter(LltpConfig(base_url="http://lltp"), transport=asgi["lltp"]),
    }
    catalog = agency_catalog()
    transport = make_transport(None, connection_name="lgsp-agency-test")
    await transport.connect()
    worker = Worker(catalog, transport, adapters, name="agency-worker", drain_seconds=1)
    await worker.start()
    gateway = create_gateway(catalog, transport, manage_transport=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://gw"
        ) as client:
            yield Bus(client, people)
    finally:
        await worker.stop()
        await transport.close()
        for adapter in adapters.values():
            await adapter.close()


async def test_a_province_client_gets_a_childs_card_filed_under_the_dossier_code_of_its_issue(
    bus: Bus,
) -> None:
    headers = MOTCUA | {"X-Road-Issue": "H31.29-20261207-0001"}
    answer = await bus.gateway.post(
        "/r1/VN/GOV/BHXH/VSS/CapTheBHYTTreEm/v1", json=child_card_request(bus.people), headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["dossier_number"] == "H31.29-20261207-0001" and answer.json()["status"] == "received"


async def test_the_national_portal_has_no_right_to_the_provinces_insurance_services(bus: Bus) -> None:
    answer = await bus.gateway.post(
        "/r1/VN/GOV/BHXH/VSS/CapTheBHYTTreEm/v1", json=child_card_request(bus.people), headers=PORTAL
    )
    assert answer.status_code == 403 and answer.json()["type"].startswith("Client.")


async def test_an_ineligible_child_is_a_provider_refusal_naming_the_field(bus: Bus) -> None:
    older = bus.people.school_child
    request = child_card_request(bus.people, older)
    answer = await bus.gateway.post(
        "/r1/VN/GOV/BHXH/VSS/CapTheBHYTTreEm/v1",
        json=request,
        headers=MOTCUA | {"X-Road-Issue": "HS-0000002"},
    )
    assert answer.status_code == 422 and answer.json()["type"] == "Server.Provider.Rejected", answer.text
    assert "NGOAI_DOI_TUONG" in answer.text and "child.birth_date" in answer.text


async def test_only_the_department_of_justice_may_revoke_a_certificate(bus: Bus) -> None:
    decision = {
        "dossier_number": "H31.29-20261207-0003",
        "decision_number": "12/QĐ-STP",
        "decision_date": (vietnam_today() + timedelta(days=30)).isoformat(),
        "reason": "Cấp sai đối tượng",
        "signer": "Lê Văn An",
    }
    refused = await bus.gateway.post("/r1/VN/GOV/BTP/LLTP/ThuHoiPhieu/v1", json=decision, headers=MOTCUA)
    assert refused.status_code == 403
    unknown = await bus.gateway.post("/r1/VN/GOV/BTP/LLTP/ThuHoiPhieu/v1", json=decision, headers=STP)
    assert unknown.status_code == 422 and "HO_SO_KHONG_TON_TAI" in unknown.text
