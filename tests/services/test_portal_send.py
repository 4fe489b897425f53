"""The portal mock as a caller: dossiers it generates and sends into a (fake) LGSP gateway."""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from services.citizens import Population
from services.portal.app import create_app
from services.portal.dossiers import DossierFactory
from services.portal.settings import PortalSettings
from vn_calendar import vietnam_today

SERVICE_PATH = "/r1/VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"
MA_HO_SO = re.compile(r"^H31\.[0-9]{2}-[0-9]{8}-[0-9]{4}$")
SETTINGS = PortalSettings(gateway_url="http://lgsp.test:8000", api_key="k-portal", max_send_count=50)


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=2023, size=100_000)


class FakeGateway:
    """Records what reaches it and answers with the next status of `statuses` (cycling)."""

    def __init__(self, statuses: list[int] | None = None, fail: Exception | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses = statuses or [200]
        self.fail = fail

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail
        status = self.statuses[(len(self.requests) - 1) % len(self.statuses)]
        return httpx.Response(status, json={"ok": status == 200})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def portal_client(
    population: Population, gateway: FakeGateway | None = None, settings: PortalSettings = SETTINGS
) -> httpx.AsyncClient:
    """A client of the portal app; its outbound calls go to `gateway`, or to the network when None."""
    transport = gateway.transport() if gateway else None
    app = create_app(settings, population=population, transport=transport)
    portal = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=portal, base_url="http://portal.test", timeout=30)


async def test_dossiers_go_to_the_gateway_service_path_with_portal_credentials(
    population: Population,
) -> None:
    gateway = FakeGateway()
    async with portal_client(population, gateway) as portal:
        answer = await portal.post("/_control/portal/send", json={"count": 3, "rate_per_second": 100})
    assert answer.status_code == 200, answer.text
    assert len(gateway.requests) == 3
    for request in gateway.requests:
        assert request.method == "POST"
        assert request.url.host == "lgsp.test"
        assert request.url.path == SERVICE_PATH
        assert request.headers["X-Road-Client"] == "VN/GOV/DVCQG/PORTAL"
        assert request.headers["X-Api-Key"] == "k-portal"
        dossier = json.loads(request.content)
        assert request.headers["X-Road-Issue"] == dossier["MaHoSo"]
        assert request.headers["Idempotency-Key"] == dossier["MaHoSo"]
    assert len({r.headers["X-Road-Id"] for r in gateway.requests}) == 3


async def test_sent_dossier_has_dvcqg_field_names_and_an_owner_from_population(
    population: Population,
) -> None:
    gateway = FakeGateway()
    async with portal_client(population, gateway) as portal:
        await portal.post("/_control/portal/send", json={"count": 5, "rate_per_second": 100})
    for request in gateway.requests:
        dossier = json.loads(request.content)
        assert MA_HO_SO.match(dossier["MaHoSo"])
        wanted = {"MaTTHC", "TenTTHC", "MaDVC", "KenhThucHien", "NgayTiepNhan", "TrangThaiHoSo", "LePhi"}
        assert wanted <= set(dossier)
        assert dossier["KenhThucHien"] in (1, 2, 3)
        assert dossier["TrangThaiHoSo"] == 1
        datetime.strptime(dossier["NgayTiepNhan"], "%Y%m%d%H%M%S")
        owner = population.citizen(dossier["ChuHoSo"]["SoDinhDanh"])
        assert owner is not None
        assert owner.full_name == dossier["ChuHoSo"]["HoVaTen"]
        assert (vietnam_today() - owner.birth_date).days >= 18 * 365


async def test_summary_counts_the_gateways_answers_by_status(population: Population) -> None:
    gateway = FakeGateway(statuses=[200, 200, 503, 429])
    async with portal_client(population, gateway) as portal:
        answer = await portal.post("/_control/portal/send", json={"count": 8, "rate_per_second": 200})
    summary = answer.json()
    assert summary["requested"] == summary["sent"] == 8
    assert summary["by_status"] == {"200": 4, "429": 2, "503": 2}
    assert len(set(summary["dossiers"])) == 8


async def test_unreachable_gateway_is_counted_as_an_error_not_a_crash(population: Population) -> None:
    gateway = FakeGateway(fail=httpx.ConnectError("connection refused"))
    async with portal_client(population, gateway) as portal:
        answer = await portal.post("/_control/portal/send", json={"count": 2, "rate_per_second": 100})
    assert answer.status_code == 200
    assert answer.json()["by_status"] == {"error:ConnectError": 2}


@pytest.mark.parametrize(
    ("run", "field"),
    [
        ({"count": 51, "rate_per_second": 10}, "count"),
        ({"count": 0, "rate_per_second": 10}, "count"),
        ({"count": 5, "rate_per_second": 0}, "rate_per_second"),
        ({"count": 5, "rate_per_second": 10_000}, "rate_per_second"),
        ({"count": 50, "rate_per_second": 0.01}, "rate_per_second"),
        ({"count": "many", "rate_per_second": 1}, "count"),
    ],
)
async def test_send_beyond_bounds_is_422_and_sends_nothing(
    population: Population, run: dict[str, object], field: str
) -> None:
    gateway = FakeGateway()
    async with portal_client(population, gateway) as portal:
        answer = await portal.post("/_control/portal/send", json=run)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert answer.json()["error_code"] == "DU_LIEU_KHONG_HOP_LE"
    assert gateway.requests == []


def test_the_same_seed_draws_the_same_dossiers(population: Population) -> None:
    fixed: Callable[[], datetime] = lambda: datetime(2024, 3, 15, 9, 30)  # noqa: E731
    first, second = (DossierFactory(population, seed=99, now=fixed) for _ in range(2))
    other = DossierFactory(population, seed=100, now=fixed)
    drawn = [[f.next_dossier() for _ in range(20)] for f in (first, second, other)]
    assert drawn[0] == drawn[1]
    assert [d.ChuHoSo for d in drawn[0]] != [d.ChuHoSo for d in drawn[2]]
    assert drawn[0][0].MaHoSo.endswith("-20240315-0001")


def test_dossier_numbers_count_up_per_receiving_unit_and_day(population: Population) -> None:
    factory = DossierFactory(population, seed=1, now=lambda: datetime(2024, 3, 15, 9, 30))
    numbers = [factory.next_dossier().MaHoSo for _ in range(200)]
    assert len(set(numbers)) == 200
    by_unit: dict[str, list[int]] = {}
    for number in numbers:
        unit, _, sequence = number.split("-")
        by_unit.setdefault(unit, []).append(int(sequence))
    assert all(seq == list(range(1, len(seq) + 1)) for seq in by_unit.values())


def test_most_generated_dossiers_are_online(population: Population) -> None:
    factory = DossierFactory(population, seed=5)
    channels = [factory.next_dossier().KenhThucHien for _ in range(500)]
    assert channels.count(2) > channels.count(1) > channels.count(3)


def test_settings_come_from_lgsp_portal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_PORTAL_GATEWAY_URL", "http://gw.example:9000")
    monkeypatch.setenv("LGSP_PORTAL_API_KEY", "from-env")
    settings = PortalSettings()
    assert settings.gateway_url == "http://gw.example:9000"
    assert settings.api_key.get_secret_value() == "from-env"
    assert settings.service_id == "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"


def test_rng_draws_are_independent_of_global_random(population: Population) -> None:
    random.seed(1)
    a = DossierFactory(population, seed=7).next_dossier().ChuHoSo
    random.seed(2)
    b = DossierFactory(population, seed=7).next_dossier().ChuHoSo
    assert a == b


async def test_dossiers_cross_a_real_socket_to_a_gateway_served_by_uvicorn(population: Population) -> None:
    received: list[dict[str, object]] = []
    gateway = FastAPI()

    @gateway.post("/r1/{service:path}")
    async def r1(service: str, request: Request) -> dict[str, str]:
        body = await request.json()
        received.append({"service": service, "client": request.headers["x-road-client"], **body})
        return {"status": "received"}

    # A socket bound and listening before uvicorn starts: connections wait in its backlog, no polling.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    config = uvicorn.Config(gateway, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        settings = PortalSettings(gateway_url=f"http://127.0.0.1:{port}")
        async with portal_client(population, settings=settings) as portal:
            answer = await portal.post("/_control/portal/send", json={"count": 3, "rate_per_second": 50})
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        sock.close()
    assert answer.json()["by_status"] == {"200": 3}
    assert [r["MaHoSo"] for r in received] == answer.json()["dossiers"]
    assert {r["service"] for r in received} == {"VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"}
    assert {r["client"] for r in received} == {"VN/GOV/DVCQG/PORTAL"}
