"""A journey stack for the province's own journey definitions (lgsp/journeys/*.yaml): the judicial-records
mock served in-process to its real adapter, the other national systems scripted behind one adapter that
checks every request against the real adapter's canonical model (a payload the real adapter would refuse
is refused here too). Service ids and event types are renamed to this test's unique ones, so on a shared
RabbitMQ no other test's worker or consumer shares a queue with it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, JsonValue, ValidationError

import lgsp
from adapters.lltp import LltpAdapter, LltpConfig
from adapters.payment.models import InitiatePaymentRequest, PaymentStatusRequest
from adapters.population.models import VerifyCitizenRequest
from adapters.portal.models import DossierLookup, ProgressUpdate
from adapters.vnpost.models import CancelOrderRequest, PostOrderRequest, TrackingRequest
from bus.catalog import Catalog, hash_api_key
from bus.envelope import Envelope
from bus.errors import ProviderRejected
from bus.flows.journey_model import JourneyDefinition, load_journey
from bus.transport.base import Transport
from bus.worker import Worker
from lgsp.default_catalog import DEFAULT_CATALOG
from services import lltp
from services.lltp.settings import LltpSettings
from tests.flows.journey_stack import CLIENT, JourneyStack
from tests.services.agency_people import Family, family

JOURNEYS = Path(lgsp.__file__).parent / "journeys"
SERVICE_ID = re.compile(r"VN/[A-Z]+/[A-Za-z]+/[A-Za-z]+/[A-Za-z]+/v1")
# The real adapters' request models: the scripted systems refuse what the real adapter would.
REQUESTS: dict[str, type[BaseModel]] = {
    "XacThucThongTinCongDan": VerifyCitizenRequest,
    "CapNhatTienDoHoSoMC": ProgressUpdate,
    "TraCuuHoSo": DossierLookup,
    "KhoiTaoThanhToan": InitiatePaymentRequest,
    "TraCuuGiaoDich": PaymentStatusRequest,
    "postOrder": PostOrderRequest,
    "cancelOrder": CancelOrderRequest,
    "getOrderTracking": TrackingRequest,
}


class NationalSystems:
    """Population, portal, payment platform and VNPost as scripted systems; each keeps what it was asked.
    Scripts are lists of answers taken in turn (the last one repeats)."""

    def __init__(self, citizens: dict[str, str]) -> None:
        self.citizens = citizens  # id number → full name
        self.portal: list[tuple[str, int]] = []  # (dossier, status) progress updates, in order
        self.initiated: Counter[str] = Counter()  # payment reference → initiations (idempotent replays too)
        self.payment_statuses: dict[str, list[str]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.posted: list[str] = []
        self.cancelled: list[str] = []
        self.tracking: dict[str, list[str]] = {}
        self.dossier_statuses: dict[str, list[int]] = {}

    async def handle(self, request: Envelope) -> JsonValue:
        """Answer as the named system would."""
        code = request.service.service_code
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
        if code == "TraCuuHoSo":
            number = payload["dossier_number"]
            status = _next(self.dossier_statuses.setdefault(number, [4]))
            return {"found": True, "dossier_number": number, "status": status}
        if code == "KhoiTaoThanhToan":
            reference = payload["reference"]
            self.initiated[reference] += 1
            return {"payment_url": f"https://paygov.test/pay/{reference}", "reference": reference}
        if code == "TraCuuGiaoDich":
            reference = payload["reference"]
            return {
                "reference": reference,
                "status": _next(self.payment_statuses.setdefault(reference, ["pending"])),
            }
        if code == "HoanTien":
            self.refunds.append(payload)
            return {"reference": payload["reference"], "refunded": True, "e_receipt_cancelled": True}
        if code == "postOrder":
            self.posted.append(payload["order_number"])
            return {"order_number": payload["order_number"], "item_code": f"EB{len(self.posted):09d}VN"}
        if code == "cancelOrder":
            self.cancelled.append(payload["order_number"])
            return {"order_number": payload["order_number"], "cancelled": True}
        if code == "getOrderTracking":
            number = payload["order_number"]
            status = _next(self.tracking.setdefault(number, ["in_transit"]))
            item = {"id": 1, "order_number": number, "item_code": "EB1VN", "status_code": 0, "status": status,
                    "status_message": status, "event_time": "2026-03-03T10:00:00+07:00",
                    "post_office_id": "180000", "notes": ""}  # fmt: skip
            return {"items": [item], "complete": True}
        raise ProviderRejected(f"no scripted system serves {code}")


def _next(script: list[Any]) -> Any:
    return script.pop(0) if len(script) > 1 else script[0]


@dataclass
class CitizenStack(JourneyStack):
    """A JourneyStack running lgsp/journeys definitions against the LLTP mock and scripted systems."""

    people: Family = field(default_factory=family)
    lltp_settings: LltpSettings = field(
        default_factory=lambda: LltpSettings(late_rate=0, refusal_rate=0, conviction_rate=0)
    )
    national: NationalSystems | None = None
    lltp_control: httpx.AsyncClient | None = None
    _lltp: LltpAdapter | None = None
    _renamed: dict[str, str] = field(default_factory=dict)

    def load(self, kind: str) -> JourneyDefinition:
        """Add the composition root's definition `kind`, its services and events renamed for this test."""
        text = (JOURNEYS / f"{kind}.yaml").read_text(encoding="utf-8")
        for service in sorted(set(SERVICE_ID.findall(text))):
            name = service.split("/")[4]
            self._renamed[service] = f"VN/GOV/HPG/{self.subsystem}/{name}/v1"
        text = SERVICE_ID.sub(lambda found: self._renamed[found.group(0)], text)
        text = text.replace("event: payment.confirmed", f"event: {self.event_type('paid')}")
        definition = load_journey(yaml.safe_load(text))
        self.definitions.append(definition)
        return definition

    @property
    def catalog(self) -> Catalog:
        """The default catalog's entries of the renamed services (the LLTP ones on the real adapter)."""
        declared = {
            entry["id"]: entry for entry in yaml.safe_load(DEFAULT_CATALOG.read_text("utf-8"))["services"]
        }
        services = []
        for original, renamed in self._renamed.items():
            entry = dict(declared.get(original, {"timeout": 5}))
            entry.pop("methods", None)
            adapter = "lltp" if "/LLTP/" in original else "fake"
            services.append(entry | {"id": renamed, "adapter": adapter, "allow": [CLIENT]})
        return Catalog.model_validate(
            {
                "adapters": {"fake": {}, "lltp": {}},
                "clients": [{"id": CLIENT, "api_key_sha256": [hash_api_key("journey-key")]}],
                "services": services,
            }
        )

    async def start_systems(self) -> None:
        """The LLTP mock in-process and its adapter, the scripted systems (who the population knows)."""
        people = self.people
        self.national = NationalSystems({p.id_number: p.full_name for p in (people.mother, people.adult)})
        app = lltp.create_app(people.population, settings=self.lltp_settings, latency=False)
        transport = httpx.ASGITransport(app=app)
        self._lltp = LltpAdapter(LltpConfig(base_url="http://lltp"), transport=transport)
        self.lltp_control = httpx.AsyncClient(transport=transport, base_url="http://lltp")

    async def start(self, engines: int = 1) -> Any:
        """Start the systems, the worker on the real and scripted adapters, the engines, the API."""
        await self.start_systems()
        assert self.national is not None and self._lltp is not None
        worker_transport: Transport = await self.make_transport()
        self.worker = Worker(
            self.catalog, worker_transport, {"fake": self.national, "lltp": self._lltp}, name="w",
            store=self.store,
        )  # fmt: skip
        await self.worker.start()
        self.systems = self.national  # type: ignore[assignment]
        return await self._start_engines_and_api(engines)

    async def _start_engines_and_api(self, engines: int) -> Any:
        from bus.events import TransportEventPublisher
        from bus.flows.journeys import Journeys

        for _ in range(engines):
            await self.add_engine()
        api_transport: Transport = await self.make_transport()
        self._journeys = Journeys(
            self.definitions, store=self.store, transport=api_transport, clock=self.clock,
            calendar=self.calendar, settings=self.settings,
        )  # fmt: skip
        self._events = TransportEventPublisher(api_transport)
        return self._journeys

    async def advance_lltp(self, hours: float) -> None:
        """Move the judicial-records mock's own clock."""
        assert self.lltp_control is not None
        answer = await self.lltp_control.post("/_control/clock/advance", json={"hours": hours})
        assert answer.status_code == 200, answer.text

    async def lltp_effects(self) -> dict[str, int]:
        """The LLTP mock's effect counters (requests taken in, revocations)."""
        assert self.lltp_control is not None
        counts: dict[str, int] = (await self.lltp_control.get("/_control/effects")).json()
        return counts

    async def close_systems(self) -> None:
        """Close the LLTP adapter and its control client."""
        if self._lltp is not None:
            await self._lltp.close()
        if self.lltp_control is not None:
            await self.lltp_control.aclose()


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
        "appointment_date": (date.today() + timedelta(days=21)).isoformat(),
    } | request_changes
    return {"request": request, "several_places": False, **common_inputs(person.full_name, person.id_number)}


def dossier_inputs(people: Family, citizen: tuple[str, str] | None = None) -> dict[str, Any]:
    """Inputs of a `dossier` journey for the household's other adult (or `citizen`: name, id number)."""
    name, number = citizen or (people.adult.full_name, people.adult.id_number)
    return {"citizen": {"full_name": name, "id_number": number}, **common_inputs(name, number)}


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
