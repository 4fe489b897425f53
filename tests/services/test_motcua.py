"""The one-stop dossier system mock: intake (idempotent, validated, bounded), processing on the simulated
clock, and progress reports to the gateway (order, retries, parking, shutdown)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.clock import VIETNAM_TIME
from services.motcua import MotcuaSettings, create_app
from services.motcua.processing import plan_processing

NOW = datetime.now(VIETNAM_TIME).replace(microsecond=0)
TEN_DAYS = 24 * 10


def dossier(number: str = "H31.29-20250105-0001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "maHoSo": number,
        "thuTuc": {
            "maTTHC": "1.001193",
            "tenTTHC": "Thủ tục đăng ký khai sinh",
            "maLinhVuc": "HT",
            "tenLinhVuc": "Hộ tịch",
            "maDVC": "1.001193.H31",
        },
        "chuHoSo": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "030190745721"},
        "kenhNop": 2,
        "ngayTiepNhan": NOW.isoformat(),
        "ngayHenTra": (NOW + timedelta(days=1)).isoformat(),
        "trichYeu": "Thủ tục đăng ký khai sinh - Nguyễn Thị Hương",
        "donViXuLy": "H31.29",
        "phiLePhi": [],
    }
    return body | changes


def quiet(**changes: Any) -> MotcuaSettings:
    """No latency, fast scans and retries; no gateway unless one is given."""
    base: dict[str, Any] = {
        "gateway_url": None,
        "latency": {"kind": "none"},
        "report_scan_interval_s": 0.02,
        "report_backoff_s": 0.0,
        "report_park_s": 0.1,
    }
    return MotcuaSettings(**(base | changes))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (the reporter), driven in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://motcua.test", timeout=10
        ) as client:
            yield client


class FakeGateway:
    """Answers progress reports with the statuses a test chooses, recording what arrived."""

    def __init__(self, answer: Callable[[int], int] = lambda _: 200) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.statuses.append(self.answer(len(self.requests)))
        return httpx.Response(self.statuses[-1], json={})

    def reports(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r, status in zip(self.reports(), self.statuses, strict=True) if status == 200]


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `condition` (state changed by other tasks) until true, within `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the reporter signals nothing a test could await
            await asyncio.sleep(0.02)


async def test_a_dossier_is_taken_in_once_and_a_repeat_is_a_replay() -> None:
    async with serving(create_app(quiet())) as client:
        first = await client.post("/api/v1/hoso", json=dossier())
        again = await client.post("/api/v1/hoso", json=dossier())
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert again.headers["x-idempotent-replay"] == "true"
        assert first.json()["maHoSoHeThong"] == again.json()["maHoSoHeThong"] == "MC.031.00000001"
        assert first.json()["trangThai"] == 1
        assert (await client.get("/_control/effects")).json()["dossiers_received"] == 1


async def test_a_used_dossier_number_with_other_content_is_refused_naming_mahoso() -> None:
    async with serving(create_app(quiet())) as client:
        await client.post("/api/v1/hoso", json=dossier())
        other = await client.post("/api/v1/hoso", json=dossier(trichYeu="Khác"))
        assert other.status_code == 409
        assert other.json()["maLoi"] == "TRUNG_MA_HO_SO" and other.json()["truong"] == "maHoSo"
        assert (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()["hoSo"]["trichYeu"] != "Khác"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chuHoSo": {"hoTen": "Nguyễn Thị Hương", "soDinhDanh": "12345"}}, "chuHoSo.soDinhDanh"),
        ({"kenhNop": 4}, "kenhNop"),
        ({"ngayTiepNhan": "2025-01-05T08:00:00"}, "ngayTiepNhan"),  # no time zone
        ({"ngayHenTra": (NOW - timedelta(days=1)).isoformat()}, "ngayHenTra"),
        ({"maHoSo": "x"}, "maHoSo"),
        ({"thuTuc": {"maTTHC": "1.001193"}}, "thuTuc.tenTTHC"),
    ],
)
async def test_bad_dossier_is_refused_naming_the_field_and_changes_nothing(
    changes: dict[str, Any], field: str
) -> None:
    async with serving(create_app(quiet())) as client:
        answer = await client.post("/api/v1/hoso", json=dossier(**changes))
        assert answer.status_code == 422
        assert answer.json()["truong"] == field, answer.json()
        assert answer.json()["maLoi"] == "DU_LIEU_KHONG_HOP_LE"
        assert (await client.get("/_control/effects")).json()["dossiers_received"] == 0
        assert (await client.get("/api/v1/hoso/H31.29-20250105-0001")).status_code == 404


async def test_advancing_the_clock_moves_a_dossier_to_result_returned() -> None:
    async with serving(create_app(quiet(not_accepted_rate=0.0))) as client:
        await client.post("/api/v1/hoso", json=dossier())
        advanced = await client.post("/_control/clock/advance", json={"hours": TEN_DAYS})
        assert advanced.status_code == 200
        record = (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()
        statuses = [step["trangThai"] for step in record["lichSu"]]
        assert statuses[:3] == [1, 2, 4] and set(statuses) <= {1, 2, 4, 5, 9, 10}
        assert statuses[-2:] == [9, 10] and record["trangThai"] == 10
        times = [step["thoiDiem"] for step in record["lichSu"]]
        assert times == sorted(times)


def test_processing_is_deterministic_and_refusals_and_supplements_are_rare() -> None:
    received = NOW.timestamp()
    plans = [plan_processing(7, f"H31.29-20250105-{n:04d}", received, 0.02, 0.05) for n in range(3000)]
    again = [plan_processing(7, f"H31.29-20250105-{n:04d}", received, 0.02, 0.05) for n in range(3000)]
    assert plans == again
    endings = Counter(plan[-1].status for plan in plans)
    supplements = sum(any(step.status == 5 for step in plan) for plan in plans)
    assert set(endings) == {3, 10}
    assert 0.01 < endings[3] / 3000 < 0.035
    assert 0.03 < supplements / 3000 < 0.07
    assert all(plan[0].status == 1 and plan[0].at == received for plan in plans)


async def test_forgets_the_oldest_dossiers_beyond_its_capacity() -> None:
    async with serving(create_app(quiet(max_dossiers=3))) as client:
        for n in range(1, 6):
            assert (
                await client.post("/api/v1/hoso", json=dossier(f"H31.29-20250105-{n:04d}"))
            ).status_code == 201
        found = [(await client.get(f"/api/v1/hoso/H31.29-20250105-{n:04d}")).status_code for n in range(1, 6)]
        assert found == [404, 404, 200, 200, 200]


async def test_each_status_change_is_reported_to_the_gateway_in_order_as_the_motcua_client() -> None:
    gateway = FakeGateway()
    settings = quiet(gateway_url="http://gw.test", not_accepted_rate=0.0)
    async with serving(create_app(settings, transport=httpx.MockTransport(gateway))) as client:
        await client.post("/api/v1/hoso", json=dossier())
        assert gateway.requests == []  # nothing is due yet on a clock at real speed
        await client.post("/_control/clock/advance", json={"hours": TEN_DAYS})
        history = (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()["lichSu"]
        await wait_for(lambda: len(gateway.requests) == len(history) - 1)
        effects = (await client.get("/_control/effects")).json()
    reports = gateway.reports()
    assert [r["status"] for r in reports] == [step["trangThai"] for step in history[1:]]
    assert [r["note"] for r in reports] == [step["noiDung"] for step in history[1:]]
    request = gateway.requests[0]
    assert request.url == "http://gw.test/r1/VN/GOV/DVCQG/PORTAL/CapNhatTienDoHoSoMC/v1"
    assert request.headers["x-road-client"] == "VN/GOV/HPG/MOTCUA"
    assert request.headers["x-api-key"] == "motcua-demo-key"
    assert request.headers["x-road-issue"] == "H31.29-20250105-0001"
    assert len({r.headers["idempotency-key"] for r in gateway.requests}) == len(reports)
    assert effects["reports_sent"] == len(reports) and effects["reports_retried"] == 0


async def test_a_failing_gateway_is_retried_with_backoff_then_the_report_arrives() -> None:
    gateway = FakeGateway(lambda n: 503 if n <= 2 else 200)
    settings = quiet(gateway_url="http://gw.test", not_accepted_rate=0.0)
    async with serving(create_app(settings, transport=httpx.MockTransport(gateway))) as client:
        await client.post("/api/v1/hoso", json=dossier())
        await client.post("/_control/clock/advance", json={"hours": TEN_DAYS})
        history = (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()["lichSu"]
        await wait_for(lambda: len(gateway.accepted()) == len(history) - 1)
        effects = (await client.get("/_control/effects")).json()
    assert effects["reports_retried"] == 2 and effects["reports_sent"] == len(history) - 1
    assert gateway.reports()[0] == gateway.reports()[1] == gateway.reports()[2]  # the same report, re-sent
    assert [r["status"] for r in gateway.accepted()] == [step["trangThai"] for step in history[1:]]


async def test_a_refused_report_is_counted_and_the_next_steps_still_go() -> None:
    gateway = FakeGateway(lambda n: 409 if n == 1 else 200)
    settings = quiet(gateway_url="http://gw.test", not_accepted_rate=0.0)
    async with serving(create_app(settings, transport=httpx.MockTransport(gateway))) as client:
        await client.post("/api/v1/hoso", json=dossier())
        await client.post("/_control/clock/advance", json={"hours": TEN_DAYS})
        history = (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()["lichSu"]
        await wait_for(lambda: len(gateway.requests) == len(history) - 1)
        effects = (await client.get("/_control/effects")).json()
    assert effects["reports_rejected"] == 1 and effects["reports_sent"] == len(history) - 2
    assert effects["reports_retried"] == 0


async def test_a_gateway_down_longer_than_the_retries_parks_the_dossier_and_loses_nothing() -> None:
    down = True
    gateway = FakeGateway(lambda _: 503 if down else 200)
    settings = quiet(gateway_url="http://gw.test", not_accepted_rate=0.0, report_attempts=2)
    async with serving(create_app(settings, transport=httpx.MockTransport(gateway))) as client:
        await client.post("/api/v1/hoso", json=dossier())
        await client.post("/_control/clock/advance", json={"hours": TEN_DAYS})
        await wait_for(lambda: len(gateway.requests) >= 4)  # two rounds of two attempts
        down = False
        history = (await client.get("/api/v1/hoso/H31.29-20250105-0001")).json()["lichSu"]
        await wait_for(lambda: len(gateway.accepted()) == len(history) - 1)
        effects = (await client.get("/_control/effects")).json()
    assert effects["reports_deferred"] >= 2
    assert [r["status"] for r in gateway.accepted()] == [step["trangThai"] for step in history[1:]]


async def test_shutdown_cancels_the_reporter() -> None:
    app = create_app(quiet(gateway_url="http://gw.test"), transport=httpx.MockTransport(FakeGateway()))
    async with serving(app):
        reporter = app.state.motcua.reporter
        assert reporter is not None
        tasks = list(reporter._tasks)
        assert tasks and not any(t.done() for t in tasks)
    assert all(t.cancelled() for t in tasks)
    assert app.state.motcua.reporter is None


async def test_clock_controls_and_fault_controls_are_installed() -> None:
    async with serving(create_app(quiet())) as client:
        before = (await client.get("/_control/clock")).json()
        fast = await client.post("/_control/clock", json={"speed": 3600})
        assert fast.status_code == 200 and fast.json()["speed"] == 3600
        assert (await client.post("/_control/clock", json={"speed": 0})).status_code == 422
        after = (await client.post("/_control/clock/advance", json={"hours": 2})).json()
        assert after["now"] > before["now"]
        assert (await client.get("/_control/faults")).json()["name"] == "motcua"
        await client.patch("/_control/faults", json={"outage": True})
        assert (await client.post("/api/v1/hoso", json=dossier())).status_code == 503
        assert (await client.get("/_control/effects")).json()["dossiers_received"] == 0
