"""Adapters verify their providers' HTTPS certificates, against a CA bundle configured per provider."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from adapters.population import create_adapter
from adapters.sdk import ProviderClient
from bus.envelope import Envelope
from bus.errors import ProviderUnavailable
from services.citizens import Population, make_id_number
from services.population import create_app
from tests.pki import Pki, make_pki

VERIFY_SERVICE = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"
POPULATION = Population(seed=2023, size=200)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("provider-pki"))


@pytest.fixture(scope="module")
def provider_url(pki: Pki) -> Iterator[str]:
    """The population mock over HTTPS, with a certificate from the test CA (no system CA trusts it)."""
    config = uvicorn.Config(
        create_app(POPULATION, latency=False),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ssl_certfile=str(pki.server_file),
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("HTTPS population mock did not start")
        time.sleep(0.05)
    yield f"https://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def _envelope() -> Envelope:
    rng = random.Random(3)
    unknown = make_id_number("031", "F", 1990, rng.randrange(1_000_000))
    payload = {"id_number": unknown}
    envelope = Envelope(client="VN/GOV/HPG/STP", service=VERIFY_SERVICE, payload=payload, user_id="CB-HP-001")
    return envelope.with_deadline(5.0)


async def test_an_adapter_with_the_providers_ca_bundle_reaches_it_over_https(
    provider_url: str, pki: Pki
) -> None:
    adapter = create_adapter({"base_url": provider_url, "ca_bundle": str(pki.ca_file), "timeout_cap": 5})
    try:
        answer = await adapter.handle(_envelope())
    finally:
        await adapter.close()
    assert isinstance(answer, dict) and answer["outcome"] == "not_found"


async def test_a_provider_certificate_no_trusted_ca_signed_is_refused(provider_url: str) -> None:
    adapter = create_adapter({"base_url": provider_url, "timeout_cap": 5})  # the system's CAs only
    try:
        with pytest.raises(ProviderUnavailable, match="certificate verify failed"):
            await adapter.handle(_envelope())
    finally:
        await adapter.close()


async def test_a_bundle_of_another_ca_does_not_vouch_for_the_provider(
    provider_url: str, tmp_path: Path
) -> None:
    other = make_pki(tmp_path)
    async with ProviderClient(provider_url, provider="population", ca_bundle=other.ca_file) as client:
        with pytest.raises(ProviderUnavailable, match="certificate verify failed"):
            await client.request(_envelope(), "GET", "/")


async def test_a_bundle_path_that_does_not_exist_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="ca_bundle"):
        create_adapter({"base_url": "https://bca.example", "ca_bundle": "/nowhere/ca.pem"})


async def test_the_httpx_layer_verifies_by_default_too(provider_url: str) -> None:
    """A test's explicit httpx transport is no back door: it verifies against the system's CAs."""
    async with ProviderClient(
        provider_url, provider="population", transport=httpx.AsyncHTTPTransport()
    ) as client:
        with pytest.raises(ProviderUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            await client.request(_envelope(), "GET", "/")
