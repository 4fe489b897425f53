"""Every fault mode, as an httpx client sees it, on a tiny FastAPI app with install_faults (in-process)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from defusedxml import ElementTree
from fastapi import FastAPI, HTTPException
from fastapi.responses import Response

from services.faults import (
    FaultControlClient,
    FaultControlError,
    FaultInjector,
    FaultProfile,
    Latency,
    install_faults,
)

SOAP_NS = "{http://schemas.xmlsoap.org/soap/envelope/}"
CITIZEN = {"SoDinhDanh": "031090001234", "HoVaTen": "Nguyễn Văn An", "TonTai": True}
XML_BODY = (
    '<KetQuaXacThucResponse xmlns="http://dancuquocgia.bca"><TonTai>true</TonTai></KetQuaXacThucResponse>'
)


def tiny_app(defaults: FaultProfile | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/citizen")
    async def citizen() -> dict[str, object]:
        return CITIZEN

    @app.get("/xml")
    async def xml() -> Response:
        return Response(XML_BODY, media_type="text/xml; charset=utf-8")

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "no such citizen")

    install_faults(app, "tiny", defaults)
    return app


@pytest.fixture
def app() -> FastAPI:
    return tiny_app()


@pytest.fixture
def injector(app: FastAPI) -> FaultInjector:
    faults: FaultInjector = app.state.faults
    return faults


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://tiny", timeout=10
    ) as http:
        yield http


async def put_profile(client: httpx.AsyncClient, **fields: object) -> None:
    response = await client.put("/_control/faults", json=fields)
    assert response.status_code == 200, response.text


async def test_without_faults_the_handler_answers_untouched(client: httpx.AsyncClient) -> None:
    response = await client.get("/citizen")
    assert response.status_code == 200
    assert response.json() == CITIZEN
    assert "x-fault-injected" not in response.headers


async def test_error_rate_one_answers_the_chosen_status_as_json(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    await put_profile(client, error_rate=1.0, error_status=502)
    response = await client.get("/citizen")
    assert response.status_code == 502
    assert response.json()["type"] == "error"
    assert "tiny" in response.json()["message"]
    assert injector.stats()["error"] == 1


async def test_soap_fault_errors_answer_a_soap_server_fault_with_500(client: httpx.AsyncClient) -> None:
    await put_profile(client, error_rate=1.0, error_status=503, soap_fault=True)
    response = await client.get("/xml")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    fault = ElementTree.fromstring(response.content).find(f"{SOAP_NS}Body/{SOAP_NS}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Server"
    assert "simulated failure" in (fault.findtext("faultstring") or "")


async def test_outage_answers_503_with_a_clear_body_but_controls_and_docs_still_work(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    await put_profile(client, outage=True, error_rate=1.0, error_status=400)
    response = await client.get("/citizen")
    assert response.status_code == 503
    assert response.json()["message"] == "tiny is unavailable: simulated outage (fault injection)"
    assert (await client.get("/_control/health")).json() == {"status": "ok", "name": "tiny"}
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs")).status_code == 200
    assert injector.stats()["outage"] == 1
    assert injector.stats()["error"] == 0


async def test_malformed_json_keeps_200_and_content_type_but_cannot_be_parsed(
    client: httpx.AsyncClient,
) -> None:
    await put_profile(client, malformed_rate=1.0)
    response = await client.get("/citizen")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)


async def test_malformed_xml_keeps_content_type_but_cannot_be_parsed(client: httpx.AsyncClient) -> None:
    await put_profile(client, malformed_rate=1.0)
    response = await client.get("/xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content[:20] == XML_BODY.encode()[:20]
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(response.content)


async def test_malformed_rate_leaves_error_answers_of_the_handler_alone(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    await put_profile(client, malformed_rate=1.0)
    response = await client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such citizen"}
    assert injector.stats()["malformed"] == 0


async def test_rate_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    await put_profile(client, rate_limit_per_second=0.01)
    assert (await client.get("/citizen")).status_code == 200
    limited = await client.get("/citizen")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "100"
    assert limited.json()["type"] == "rate_limited"
    assert injector.stats()["rate_limited"] == 1


async def test_an_error_is_answered_before_any_latency_is_added(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    await put_profile(client, error_rate=1.0, latency={"kind": "fixed", "ms": 60000.0})
    assert (await client.get("/citizen")).status_code == 503
    assert injector.stats()["delayed"] == 0


async def test_fixed_latency_delays_the_answer(client: httpx.AsyncClient, injector: FaultInjector) -> None:
    await put_profile(client, latency={"kind": "fixed", "ms": 50.0})
    started = time.perf_counter()
    assert (await client.get("/citizen")).status_code == 200
    assert time.perf_counter() - started >= 0.05
    assert injector.stats()["delayed"] == 1


async def test_lognormal_latency_seen_by_the_client_has_roughly_the_asked_median(
    client: httpx.AsyncClient,
) -> None:
    await put_profile(client, latency={"kind": "lognormal", "p50_ms": 10.0, "p99_ms": 40.0}, seed=4)
    elapsed = []
    for _ in range(25):
        started = time.perf_counter()
        await client.get("/citizen")
        elapsed.append((time.perf_counter() - started) * 1000)
    # Loose: sleeps never end early, and a loaded machine may add some milliseconds.
    assert 7 <= statistics.median(elapsed) <= 250


async def test_same_seed_and_requests_give_the_same_faults_seen_by_the_client(
    client: httpx.AsyncClient,
) -> None:
    async def observe() -> list[tuple[int, str]]:
        seen = []
        for _ in range(40):
            response = await client.get("/citizen")
            seen.append((response.status_code, response.headers.get("x-fault-injected", "")))
        return seen

    await put_profile(client, error_rate=0.3, malformed_rate=0.3, seed=21)
    first = await observe()
    assert {kind for _, kind in first} == {"", "error", "malformed"}
    await put_profile(client, error_rate=0.3, malformed_rate=0.3, seed=21)
    assert await observe() == first
    await put_profile(client, error_rate=0.3, malformed_rate=0.3, seed=22)
    assert await observe() != first


async def test_reset_restores_the_defaults_in_one_call() -> None:
    defaults = FaultProfile(latency=Latency.fixed(1), error_rate=0.05, seed=7)
    app = tiny_app(defaults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tiny") as client:
        await put_profile(client, outage=True)
        await client.get("/citizen")
        response = await client.post("/_control/faults/reset")
        assert response.status_code == 200
        assert FaultProfile.model_validate(response.json()["profile"]) == defaults
        assert set(response.json()["stats"].values()) == {0}
        assert app.state.faults.profile == defaults


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PUT", {"error_rate": 2}),
        ("PUT", {"error_rate": "0.5"}),
        ("PUT", {"error_status": 302}),
        ("PUT", {"unknown_fault": True}),
        ("PUT", {"latency": {"kind": "lognormal", "p50_ms": 100.0, "p99_ms": 10.0}}),
        ("PATCH", {"timeout_rate": 0.2, "malformed_rate": -1}),
        ("PATCH", {"latency": {"kind": "fixed"}}),
        ("PATCH", ["error_rate", 1]),
    ],
)
async def test_bad_control_input_gets_422_and_changes_nothing(
    client: httpx.AsyncClient, injector: FaultInjector, method: str, body: object
) -> None:
    await put_profile(client, error_rate=0.1, seed=3)
    before = injector.profile
    response = await client.request(method, "/_control/faults", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert injector.profile == before


async def test_control_body_that_is_not_json_gets_422(
    client: httpx.AsyncClient, injector: FaultInjector
) -> None:
    for method in ("PUT", "PATCH"):
        response = await client.request(method, "/_control/faults", content=b"error_rate=1")
        assert response.status_code == 422
    assert injector.profile == FaultProfile()


async def test_patch_changes_only_the_given_fields_over_http(client: httpx.AsyncClient) -> None:
    await put_profile(client, error_rate=0.1, seed=3)
    response = await client.patch("/_control/faults", json={"timeout_rate": 0.25})
    assert response.status_code == 200
    profile = response.json()["profile"]
    assert (profile["error_rate"], profile["timeout_rate"], profile["seed"]) == (0.1, 0.25, 3)


async def test_control_reads_profile_and_counters(client: httpx.AsyncClient) -> None:
    await put_profile(client, error_rate=1.0)
    await client.get("/citizen")
    await client.get("/citizen")
    state = (await client.get("/_control/faults")).json()
    assert state["name"] == "tiny"
    assert state["profile"]["error_rate"] == 1.0
    assert state["stats"]["requests"] == 2
    assert state["stats"]["error"] == 2


async def test_control_client_gets_sets_patches_and_resets(app: FastAPI) -> None:
    control = FaultControlClient("http://tiny", transport=httpx.ASGITransport(app))
    async with control:
        state = await control.set(FaultProfile(error_rate=0.5, seed=8))
        assert state.profile == FaultProfile(error_rate=0.5, seed=8)
        state = await control.patch({"outage": True})
        assert state.profile.outage and state.profile.error_rate == 0.5
        assert (await control.get()).profile == state.profile
        assert (await control.reset()).profile == FaultProfile()


async def test_control_client_raises_with_the_reason_when_refused(app: FastAPI) -> None:
    async with FaultControlClient("http://tiny", transport=httpx.ASGITransport(app)) as control:
        with pytest.raises(FaultControlError) as caught:
            await control.patch({"error_rate": 3})
    assert caught.value.status == 422
    assert caught.value.detail[0]["loc"] == ["error_rate"]
