"""The portal ⇄ one-stop system loop through a real gateway and worker (memory transport), all over HTTP:

portal mock ─DongBoHoSoMC→ gateway → worker → motcua adapter → motcua mock
motcua mock ─CapNhatTienDoHoSoMC→ gateway → worker → portal adapter → portal mock

and the load test's dossier sync playing the portal's sending side in the same loop.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.motcua import create_adapter as create_motcua_adapter
from adapters.portal import create_adapter as create_portal_adapter
from bus.catalog import Catalog, hash_api_key
from bus.gateway.app import create_gateway
from bus.serving import Served, ServerGroup
from bus.transport import make_transport
from bus.worker import Worker
from loadtests.scenarios.base import Draw, Sent, Step, play
from loadtests.scenarios.portal import SYNC_DOSSIER
from services.citizens import Population
from services.faults import Latency
from services.motcua import MotcuaSettings
from services.motcua import create_app as create_motcua
from services.portal import PortalSettings
from services.portal import create_app as create_portal
from services.registry import without_latency

PORTAL_KEY, MOTCUA_KEY = "portal-e2e-key", "motcua-e2e-key"
PORTAL, MOTCUA = "VN/GOV/DVCQG/PORTAL", "VN/GOV/HPG/MOTCUA"
SYNC = "VN/GOV/HPG/MOTCUA/DongBoHoSoMC/v1"
PROGRESS = "VN/GOV/DVCQG/PORTAL/CapNhatTienDoHoSoMC/v1"
LOOKUP = "VN/GOV/DVCQG/PORTAL/TraCuuHoSo/v1"
DOSSIERS = 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def loop_catalog(motcua_url: str, portal_url: str) -> Catalog:
    """The lines the default catalog needs, with this test's URLs and keys."""
    return Catalog.model_validate(
        {
            "adapters": {"motcua": {"base_url": motcua_url}, "portal": {"base_url": portal_url}},
            "clients": [
                {"id": PORTAL, "api_key_sha256": [hash_api_key(PORTAL_KEY)]},
                {"id": MOTCUA, "api_key_sha256": [hash_api_key(MOTCUA_KEY)]},
            ],
            "services": [
                {"id": SYNC, "adapter": "motcua", "timeout": 10, "allow": [PORTAL]},
                {"id": PROGRESS, "adapter": "portal", "timeout": 10, "allow": [MOTCUA]},
                {"id": LOOKUP, "adapter": "portal", "timeout": 10, "allow": [MOTCUA]},
            ],
        }
    )


@dataclass
class Loop:
    """Clients on the three running apps."""

    gateway: httpx.AsyncClient
    motcua: httpx.AsyncClient
    portal: httpx.AsyncClient


@asynccontextmanager
async def running_loop() -> AsyncIterator[Loop]:
    ports = {name: free_port() for name in ("gateway", "motcua", "portal")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    catalog = loop_catalog(url["motcua"], url["portal"])
    transport = make_transport(None, connection_name="lgsp-motcua-e2e")
    await transport.connect()
    adapters = {
        "motcua": create_motcua_adapter({"base_url": url["motcua"]}),
        "portal": create_portal_adapter({"base_url": url["portal"]}),
    }
    worker = Worker(catalog, transport, adapters, name="e2e-worker", drain_seconds=1)
    await worker.start()
    population = Population(seed=2023, size=3000)
    portal_settings = PortalSettings(gateway_url=url["gateway"], api_key=PORTAL_KEY, population_size=3000)
    motcua_settings = MotcuaSettings(
        gateway_url=url["gateway"],
        api_key=MOTCUA_KEY,
        latency=Latency(),
        report_scan_interval_s=0.05,
        report_backoff_s=0.05,
    )
    portal_app = create_portal(portal_settings, population=population)
    without_latency(portal_app)
    apps = [
        Served(
            "gateway",
            create_gateway(catalog, transport, manage_transport=False),
            "127.0.0.1",
            ports["gateway"],
        ),
        Served("motcua", create_motcua(motcua_settings), "127.0.0.1", ports["motcua"]),
        Served("portal", portal_app, "127.0.0.1", ports["portal"]),
    ]
    servers = ServerGroup(apps)
    await asyncio.wait_for(servers.start(), 20)
    try:
        async with (
            httpx.AsyncClient(base_url=url["gateway"], timeout=15) as gateway,
            httpx.AsyncClient(base_url=url["motcua"], timeout=15) as motcua,
            httpx.AsyncClient(base_url=url["portal"], timeout=15) as portal,
        ):
            yield Loop(gateway, motcua, portal)
    finally:
        await asyncio.wait_for(servers.stop(), 20)
        await worker.stop()
        await transport.close()


async def wait_for(condition: Callable[[], Any], seconds: float = 20.0) -> None:
    """Poll an async condition (the reports travel on their own) until true, within `seconds`."""
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - nothing to await: the reports travel alone
            await asyncio.sleep(0.1)


async def effects(loop: Loop) -> Mapping[str, int]:
    answer: Mapping[str, int] = (await loop.motcua.get("/_control/effects")).json()
    return answer


def as_motcua(key: str) -> dict[str, str]:
    return {"X-Road-Client": MOTCUA, "X-Api-Key": MOTCUA_KEY, "Idempotency-Key": key}


async def test_portal_dossiers_reach_motcua_and_their_progress_comes_back_through_the_bus() -> None:
    async with asyncio.timeout(90), running_loop() as loop:
        sent = await loop.portal.post(
            "/_control/portal/send", json={"count": DOSSIERS, "rate_per_second": 40}
        )
        assert sent.status_code == 200, sent.text
        summary = sent.json()
        assert summary["by_status"] == {"200": DOSSIERS}, summary
        numbers: list[str] = summary["dossiers"]
        assert (await effects(loop))["dossiers_received"] == DOSSIERS

        await loop.motcua.post("/_control/clock/advance", json={"hours": 24 * 10})
        histories = {n: (await loop.motcua.get(f"/api/v1/hoso/{n}")).json()["lichSu"] for n in numbers}
        expected_reports = sum(len(h) - 1 for h in histories.values())
        assert expected_reports >= 4 * (DOSSIERS - 2)

        async def all_reported() -> bool:
            return (await effects(loop))["reports_sent"] == expected_reports

        await wait_for(all_reported)
        assert (await effects(loop))["reports_rejected"] == 0

        finished = 0
        for number, history in histories.items():
            portal_view = (await loop.portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()
            statuses = [entry["TrangThaiHoSo"] for entry in portal_view["LichSuXuLy"]]
            assert statuses == [step["trangThai"] for step in history], number
            assert [e["NoiDung"] for e in portal_view["LichSuXuLy"][1:]] == [
                s["noiDung"] for s in history[1:]
            ]
            if history[-1]["trangThai"] == 10:
                finished += 1
                assert portal_view["TrangThaiHoSo"] == 10
        assert finished >= DOSSIERS - 2  # 2 % are not accepted (3); 12 dossiers rarely meet one

        looked_up = await loop.gateway.post(f"/r1/{LOOKUP}", json={"dossier_number": numbers[0]},
                                            headers=as_motcua("lookup-1"))  # fmt: skip
        assert looked_up.status_code == 200, looked_up.text
        answer = looked_up.json()
        assert answer["found"] is True and answer["dossier_number"] == numbers[0]
        assert [e["status"] for e in answer["history"]] == [s["trangThai"] for s in histories[numbers[0]]]


async def test_duplicate_dossiers_and_duplicate_reports_have_no_second_effect() -> None:
    async with asyncio.timeout(90), running_loop() as loop:
        sent = (
            await loop.portal.post("/_control/portal/send", json={"count": 2, "rate_per_second": 20})
        ).json()
        number = sent["dossiers"][0]
        dossier = (await loop.portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()["HoSo"]
        portal_headers = {"X-Road-Client": PORTAL, "X-Api-Key": PORTAL_KEY}
        for key in (number, "a-new-key-for-the-same-dossier"):  # the gateway's replay, then the mock's
            again = await loop.gateway.post(f"/r1/{SYNC}", json=dossier,
                                            headers=portal_headers | {"Idempotency-Key": key})  # fmt: skip
            assert again.status_code == 200, again.text
            assert again.json()["dossier_number"] == number
        assert (await effects(loop))["dossiers_received"] == 2

        await loop.motcua.post("/_control/clock/advance", json={"hours": 24 * 10})
        history = (await loop.motcua.get(f"/api/v1/hoso/{number}")).json()["lichSu"]

        async def reported() -> bool:
            view = (await loop.portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()
            return len(view["LichSuXuLy"]) == len(history)

        await wait_for(reported)
        last = history[-1]
        report = {
            "dossier_number": number,
            "status": last["trangThai"],
            "updated_at": last["thoiDiem"],
            "note": last["noiDung"],
            "officer": last["nguoiXuLy"],
            "unit": last["donViXuLy"],
        }
        repeat = await loop.gateway.post(f"/r1/{PROGRESS}", json=report, headers=as_motcua("resent-last"))
        assert repeat.status_code == 200, repeat.text
        view = (await loop.portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()
        assert len(view["LichSuXuLy"]) == len(history)  # the portal took the repeat as the same entry

        backwards = report | {"status": 2, "note": "Đã tiếp nhận"}
        refused = await loop.gateway.post(f"/r1/{PROGRESS}", json=backwards, headers=as_motcua("backwards"))
        assert refused.status_code == 422 and refused.json()["type"] == "Server.Provider.Rejected"
        assert "field 'status'" in refused.json()["message"]


def portal_sending_side(loop: Loop, synced: list[str]) -> Callable[[Step], Sent]:
    """Sends a load scenario's steps as the locustfile does: to the portal mock's own API, or through
    the gateway as the portal; `synced` collects the dossiers the gateway took."""
    portal_url, gateway_url = str(loop.portal.base_url).rstrip("/"), str(loop.gateway.base_url).rstrip("/")

    def send(step: Step) -> Sent:
        if step.portal_path is not None:
            response = httpx.post(portal_url + step.portal_path, json=step.body, timeout=15)
        else:
            assert step.service_code == "DongBoHoSoMC" and step.body is not None
            headers = {"X-Road-Client": PORTAL, "X-Api-Key": PORTAL_KEY}
            response = httpx.post(f"{gateway_url}/r1/{SYNC}", json=step.body, headers=headers, timeout=15)
            if response.is_success:
                synced.append(step.body["MaHoSo"])
        answer = response.json()
        return response.is_success and step.check(answer) is None, answer

    return send


async def test_progress_on_the_load_tests_synchronised_dossiers_is_accepted_by_the_portal() -> None:
    """The load scenario plays the portal's sending side: the one-stop system's reports on its dossiers
    reach the portal mock, which must know them (no report refused as on a dossier it never sent)."""
    async with asyncio.timeout(90), running_loop() as loop:
        draw = Draw(random.Random(9), Population(seed=2023, size=3000), "t")
        synced: list[str] = []
        send = portal_sending_side(loop, synced)
        for _ in range(DOSSIERS):
            await asyncio.to_thread(play, SYNC_DOSSIER, draw, send)
        assert len(synced) == DOSSIERS

        await loop.motcua.post("/_control/clock/advance", json={"hours": 24 * 10})
        histories = {n: (await loop.motcua.get(f"/api/v1/hoso/{n}")).json()["lichSu"] for n in synced}
        expected_reports = sum(len(h) - 1 for h in histories.values())

        async def all_answered() -> bool:
            done = await effects(loop)
            return done["reports_sent"] + done["reports_rejected"] == expected_reports

        await wait_for(all_answered)
        done = await effects(loop)
        assert (done["reports_rejected"], done["reports_sent"]) == (0, expected_reports)
        for number, history in histories.items():
            portal_view = (await loop.portal.get("/api/TraCuuHoSo", params={"MaHoSo": number})).json()
            statuses = [entry["TrangThaiHoSo"] for entry in portal_view["LichSuXuLy"]]
            assert statuses == [step["trangThai"] for step in history], number
