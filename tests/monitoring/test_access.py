"""Monitoring is not public: `/metrics` and `/monitoring/*` need a monitoring token or the admin key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bus.catalog import hash_api_key, load_catalog
from bus.gateway.assembly import assemble_gateway
from bus.monitoring.access import monitoring_hint
from bus.settings import BusSettings
from bus.transport import make_transport
from lgsp.default_catalog import DEFAULT_CATALOG

TOKEN = "the-monitoring-token"
RUN_TOKEN = "this-runs-own-token"
ADMIN_KEY = "the-admin-key"
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key"}
MONITORED = ["/metrics", "/monitoring/health", "/monitoring/records", "/monitoring/breakers"]


async def _client(monitoring_token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    api = assemble_gateway(
        load_catalog(DEFAULT_CATALOG), make_transport(None), BusSettings(), monitoring_token=monitoring_token
    )
    async with api.router.lifespan_context(api):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://gw") as client:
            yield client


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("LGSP_AUTH_MONITORING_TOKEN_SHA256", f'["{hash_api_key(TOKEN)}"]')
    monkeypatch.setenv("LGSP_AUTH_ADMIN_KEY_SHA256", f'["{hash_api_key(ADMIN_KEY)}"]')
    async for client in _client(RUN_TOKEN):
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"X-Admin-Key": "wrong-key"},
        {"Authorization": f"Bearer {ADMIN_KEY}"},  # the admin key is no monitoring token
        {"X-Admin-Key": TOKEN},  # nor the token an admin key
        STP,  # a client's credentials open no monitoring
    ],
)
async def test_monitoring_refuses_callers_without_its_credential(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in MONITORED:
        answer = await gateway.get(path, headers=headers)
        assert (answer.status_code, answer.json()["type"]) == (401, "Client.Unauthenticated"), path
        assert "lgsp_" not in answer.text and "records" not in answer.json()


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {TOKEN}"},
        {"Authorization": f"bearer {RUN_TOKEN}"},
        {"X-Admin-Key": ADMIN_KEY},
    ],
)
async def test_monitoring_answers_a_token_or_the_admin_key(
    gateway: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answers = {path: await gateway.get(path, headers=headers) for path in MONITORED}
    assert all(answer.status_code == 200 for answer in answers.values()), answers
    assert "lgsp_in_flight_requests" in answers["/metrics"].text


async def test_monitoring_is_closed_when_no_credential_is_configured() -> None:
    async for client in _client():
        for path in MONITORED:
            answer = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert (answer.status_code, answer.json()["type"]) == (403, "Client.AccessDenied"), path
        assert (await client.get("/health")).status_code == 200  # liveness stays open


def test_the_hint_names_the_token_and_every_monitoring_path() -> None:
    hint = monitoring_hint("http://127.0.0.1:8000", RUN_TOKEN)
    assert f"Authorization: Bearer {RUN_TOKEN}" in hint and "http://127.0.0.1:8000/metrics" in hint
    assert all(path.removeprefix("/") in hint for path in MONITORED[1:])
