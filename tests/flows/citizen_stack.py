"""A journey stack for the province's own journey definitions (lgsp/journeys/*.yaml): the judicial-records,
payment-platform and VNPost mocks served in-process (ASGI) to their real adapters; the population database
and the portal scripted behind one adapter that checks every request against the real adapter's
canonical model (a payload the real adapter would refuse is refused here too). Service ids and event
types are renamed to this test's unique ones, so on a shared RabbitMQ no other test's worker or consumer
shares a queue with it. The payment adapter's verified IPN callback is stood in for by publishing
`payment.confirmed` or `payment.failed` (renamed) with the reference, as that callback does.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, JsonValue, ValidationError

import lgsp
from adapters.lltp import LltpAdapter, LltpConfig
from adapters.motcua.models import HandOverRequest, ProgressLookup
from adapters.payment import PaymentAdapter, PaymentConfig
from adapters.population.models import VerifyCitizenRequest
from adapters.portal.models import DossierLookup, ProgressUpdate
from adapters.vnpost import VnpostAdapter, VnpostConfig
from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.errors import ProviderRejected
from bus.flows.journey_model import JourneyDefinition, load_journey
from lgsp.default_catalog import DEFAULT_CATALOG
from services import lltp, payment, vnpost
from services.faults import Latency
from services.lltp.settings import LltpSettings
from services.payment import PaymentSettings
from services.vnpost import VnpostSettings
from tests.flows.journey_stack import CLIENT, JourneyStack
from tests.services.agency_people import Family, family
from vn_calendar import vietnam_today

JOURNEYS = Path(lgsp.__file__).parent / "journeys"
SERVICE_ID = re.compile(r"VN/[A-Z]+/[A-Za-z]+/[A-Za-z]+/[A-Za-z]+/v1")
# The real adapters' request models: the scripted systems refuse what the real adapter would.
REQUESTS: dict[str, type[BaseModel]] = {
    "XacThucThongTinCongDan": VerifyCitizenRequest,
    "CapNhatTienDoHoSoMC": ProgressUpdate,
    "TraCuuHoSo": DossierLookup,
    "ChuyenXuLyHoSo": HandOverRequest,
    "TraCuuXuLyHoSo": ProgressLookup,
}
# Which real adapter serves a service, by the provider part of its declared id.
REAL_ADAPTERS = {"/LLTP/": "lltp", "/PAYGOV/": "payment", "/VNPOST/": "vnpost"}
PARTNER = "HPG_LGSP"
CLIENTS = (CLIENT, "VN/GOV/HPG/STP")  # the one-stop system, the Department of Justice


class NationalSystems:
    """The population database, the portal and the one-stop system's officers as scripted systems; each
    keeps what it was asked.
    Scripts are lists of answers taken in turn (the last one repeats); `failures[service code]` are
    raised first, one a request (an upstream outage, time-out or rate limit)."""

    def __init__(self, citizens: dict[str, str]) -> None:
        self.citizens = citizens  # id number → full name
        self.portal: list[tuple[str, int]] = []  # (dossier, status) progress updates, in order
        self.dossier_statuses: dict[str, list[int]] = {}
        self.failures: dict[str, list[Exception]] = {}
        self.asked: Counter[str] = Counter()  # service code → requests, failed ones too

    async def handle(self, request: Envelope) -> JsonValue:
        """Answer as the named system would."""
        code = request.service.service_code
        self.asked[code] += 1
        if self.failures.get(code):
            raise self.failures[code].pop(0)
        payload: dict[str, Any] = request.payload if isinstance(request.payload, dict) else {}
        model = REQUESTS.get(code)
        if model is not None:
            try:
                model.model_validate(payload)
            except ValidationError as invalid:
                raise ProviderRejected(f"{code}: {invalid.errors(include_url=False)}") from None
        if code == "XacThucThongTinCongDan":
            return {"exists": self.citizens.get(payload["id_number"]) == payload.get("full_name")}
        if code == "CapNhatTienDoHoSoMC":
            self.portal.append((payload["dossier_number"], payload["status"]))
            return {**payload, "status_name": str(payload["status"])}
        if code == "ChuyenXuLyHoSo":
            number = payload["dossier_number"]
            return {
                "dossier_number": number,
                "system_id": "MC.031.00000001",
                "received_at": payload["received_at"],
            }
        if code in ("TraCuuHoSo", "TraCuuXuLyHoSo"):
            number = payload["dossier_number"]
            status = _next(self.dossier_statuses.setdefault(number, [4]))
            return {"found": True, "dossier_number": number, "status": status,
                    "updated_at": "2026-03-03T10:00:00+07:00", "note": f"trạng thái {status}",
                    "officer": "Nguyễn Thị Lan"}  # fmt: skip
        raise ProviderRejected(f"no scripted system serves {code}")


def _next(script: list[Any]) -> Any:
    return script.pop(0) if len(script) > 1 else script[0]


@dataclass
class Mock:
    """A mock served in-process: its real adapter and a client on its control routes."""

    adapter: LltpAdapter | PaymentAdapter | VnpostAdapter
    control: httpx.AsyncClient

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST to a control route; AssertionError unless it answers 200."""
        answer = await self.control.post(path, json=body)
        assert answer.status_code == 200, answer.text
        return answer

    async def effects(self) -> dict[str, int]:
        """The mock's effect counters."""
        counts: dict[str, int] = (await self.control.get("/_control/effects")).json()
        return counts

    async def close(self) -> None:
        """Close the adapter and the control client."""
        await self.adapter.close()
        await self.control.aclose()


def _served(app: Any, make: Any, config: Any) -> Mock:
    transport = httpx.ASGITransport(app=app)
    return Mock(
        make(config, transport=transport), httpx.AsyncClient(transport=transport, base_url="http://mock")
    )


@dataclass
class CitizenStack(JourneyStack):
    """A JourneyStack running lgsp/journeys definitions against the mocks and the scripted systems."""

    people: Family = field(default_factory=family)
    lltp_settings: LltpSettings = field(
        default_factory=lambda: LltpSettings(late_rate=0, refusal_rate=0, conviction_rate=0)
    )
    vnpost_settings: VnpostSettings = field(
        default_factory=lambda: VnpostSettings(
            latency=Latency(), seed=7, failed_attempt_rate=0, return_rate=0
        )
    )
    national: NationalSystems | None = None
    mocks: dict[str, Mock] = field(default_factory=dict)
    _renamed: dict[str, str] = field(default_factory=dict)

    def load(self, kind: str) -> JourneyDefinition:
        """Add the composition root's definition `kind`, its services and events renamed for this test."""
        text = (JOURNEYS / f"{kind}.yaml").read_text(encoding="utf-8")
        for service in sorted(set(SERVICE_ID.findall(text))):
            name = service.split("/")[4]
            self._renamed[service] = f"VN/GOV/HPG/{self.subsystem}/{name}/v1"
        text = SERVICE_ID.sub(lambda found: self._renamed[found.group(0)], text)
        text = text.replace("payment.confirmed", self.event_type("paid"))
        text = text.replace("payment.failed", self.event_type("failed"))
        definition = load_journey(yaml.safe_load(text))
        self.definitions.append(definition)
        return definition

    @property
    def catalog(self) -> Catalog:
        """The default catalog's entries of the renamed services, each on its real or scripted adapter,
        with their declared access rights; the one-stop and the Department of Justice as clients."""
        declared = yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))
        clients = [
            client | {"api_key_sha256": [hash_api_key(f"{client['id']}-key")]}
            for client in declared["clients"]
            if client["id"] in CLIENTS
        ]
        known = {*CLIENTS, *(f"group:{group}" for client in clients for group in client.get("groups", ()))}
        entries = {entry["id"]: entry for entry in declared["services"]}
        services = []
        for original, renamed in self._renamed.items():
            entry = dict(entries[original])
            entry.pop("methods", None)
            adapter = next((name for part, name in REAL_ADAPTERS.items() if part in original), "fake")
            allow = [name for name in entry["allow"] if name in known]  # the clients present here
            services.append(entry | {"id": renamed, "adapter": adapter, "allow": allow})
        return Catalog.model_validate(
            {
                "adapters": {"fake": {}, **{name: {} for name in REAL_ADAPTERS.values()}},
                "clients": clients,
                "services": services,
            }
        )

    def mock(self, name: str) -> Mock:
        """The in-process mock `name` (lltp, payment, vnpost)."""
        return self.mocks[name]

    def adapters(self) -> dict[str, Any]:
        """The mocks served in-process to their real adapters, the scripted systems as `fake`."""
        people = self.people
        self.national = NationalSystems({p.id_number: p.full_name for p in (people.mother, people.adult)})
        payment_settings = PaymentSettings(latency=Latency(), stay_pending_rate=0.0, lost_callback_rate=0.0)
        self.mocks = {
            "lltp": _served(
                lltp.create_app(people.population, settings=self.lltp_settings, latency=False),
                LltpAdapter,
                LltpConfig(base_url="http://lltp"),
            ),
            "payment": _served(
                payment.create_app(payment_settings), PaymentAdapter, PaymentConfig(base_url="http://paygov")
            ),
            "vnpost": _served(
                vnpost.create_app(self.vnpost_settings), VnpostAdapter, VnpostConfig(base_url="http://vnpost")
            ),
        }
        return {"fake": self.national, **{name: served.adapter for name, served in self.mocks.items()}}

    async def pay(self, reference: str, outcome: str = "success") -> None:
        """The citizen pays (or fails to) on the payment platform's page."""
        command = {"MaDoiTac": PARTNER, "MaThamChieu": reference, "outcome": outcome}
        await self.mock("payment").post("/_control/payments/complete", command)

    async def advance_mock(self, name: str, hours: float) -> None:
        """Move mock `name`'s own simulated clock."""
        await self.mock(name).post("/_control/clock/advance", {"hours": hours})

    async def stop(self) -> None:
        """Stop the bus as a JourneyStack does; close the mocks' adapters and control clients."""
        await super().stop()
        for served in self.mocks.values():
            await served.close()


def certificate_inputs(people: Family, **request_changes: Any) -> dict[str, Any]:
    """Inputs of an `lltp` journey for the mother: certificate no. 1, fee 200,000 VND, returned by post."""
    person = people.mother
    request = {
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
    } | request_changes
    return {"request": request, "several_places": False, **common_inputs(person.full_name, person.id_number)}


def dossier_inputs(people: Family, citizen: tuple[str, str] | None = None) -> dict[str, Any]:
    """Inputs of a `dossier` journey for the household's other adult (or `citizen`: name, id number)."""
    name, number = citizen or (people.adult.full_name, people.adult.id_number)
    procedure = {"code": "2.000488", "name": "Thủ tục cấp bản sao trích lục hộ tịch", "field_code": "HT",
                 "field_name": "Hộ tịch", "service_code": "DVC-2.000488"}  # fmt: skip
    return {"citizen": {"full_name": name, "id_number": number}, "procedure": procedure,
            **common_inputs(name, number)}  # fmt: skip


def common_inputs(name: str, number: str) -> dict[str, Any]:
    """Reception time, fee and postal delivery, shared by both journeys."""
    party = {"phone": "0912345678", "province_code": "31", "district_code": "303"}
    return {
        "received_at": "2026-03-02T09:00:00+07:00",
        "fee": {"code": "LP01", "name": "Lệ phí", "amount_vnd": 200000, "procedure_code": "2.000488",
                "service_code": "DVC-2.000488", "agency_code": "000.00.31.H26"},
        "delivery": "post",
        "parcel": {
            "sender": party | {"name": "Bộ phận một cửa Sở Tư pháp", "address": "1 Lạch Tray, Hải Phòng"},
            "receiver": party | {"name": name, "address": f"Nhà của {number}, Hải Phòng"},
        },
    }  # fmt: skip
