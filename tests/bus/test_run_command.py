"""`lgsp run` as the README tells a newcomer: everything in one process, answering, stopping cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from bus.catalog import hash_api_key
from services.registry import MOCKS

pytestmark = pytest.mark.slow
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key", "X-Road-UserId": "CB031001"}
TOKEN = "a-monitoring-token-for-the-run-test"
MONITOR = {"Authorization": f"Bearer {TOKEN}"}


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_run_starts_gateway_workers_and_mocks_and_stops_on_sigint() -> None:
    ports = [8000, *(spec.port for spec in MOCKS.values())]
    busy = [p for p in ports if not _port_free(p)]
    assert not busy, f"ports {busy} are taken: stop the other `lgsp run` first"
    process = subprocess.Popen(
        [sys.executable, "-m", "lgsp.cli", "run", "--no-latency"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "COLUMNS": "120",
            "LGSP_AUTH_MONITORING_TOKEN_SHA256": f'["{hash_api_key(TOKEN)}"]',
        },
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get("http://127.0.0.1:8000/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "lgsp run did not come up within 60 s"
            time.sleep(0.2)
        echo = httpx.post(
            "http://127.0.0.1:8000/r1/VN/GOV/HPG/LGSP/Echo/v1", json={"HoVaTen": "Đỗ Thị Hà"}, headers=STP
        )
        assert echo.status_code == 200 and echo.json()["echo"] == {"HoVaTen": "Đỗ Thị Hà"}
        verify = httpx.post(
            "http://127.0.0.1:8000/r1/VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1",
            json={"id_number": "031000000000"},
            headers=STP,
            timeout=10,
        )
        assert verify.status_code == 200, verify.text
        assert verify.json()["exists"] in (True, False)
        called = subprocess.run(
            [sys.executable, "-m", "lgsp.cli", "call", "VN/GOV/HPG/LGSP/Echo/v1", "--json", '{"x": "Ánh"}'],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert called.returncode == 0, called.stderr
        assert '"x": "Ánh"' in called.stdout and "HTTP 200" in called.stderr
        assert httpx.get("http://127.0.0.1:8000/metrics").status_code == 401  # monitoring is not public
        metrics = httpx.get("http://127.0.0.1:8000/metrics", headers=MONITOR).text
        assert 'lgsp_requests_total{client="VN/GOV/HPG/STP"' in metrics
        health = httpx.get("http://127.0.0.1:8000/monitoring/health", headers=MONITOR).json()["services"]
        assert any(h["service"] == "VN/GOV/HPG/LGSP/Echo/v1" and h["request_count"] >= 2 for h in health)
        breakers = httpx.get("http://127.0.0.1:8000/monitoring/breakers", headers=MONITOR).json()["breakers"]
        assert {b["provider"] for b in breakers} >= {"population", "echo"}
        assert all(b["state"] == "closed" for b in breakers)
        for spec in MOCKS.values():
            assert httpx.get(f"http://127.0.0.1:{spec.port}/_control/health", timeout=2).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "gateway" in output and "http://127.0.0.1:8000" in output
    assert "monitoring: curl -H 'Authorization: Bearer " in output  # this run's own token, printed
