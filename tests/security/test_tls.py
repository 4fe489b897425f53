"""The gateway over HTTPS, and mutual TLS: a client certificate names the client a call acts as."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bus.catalog import load_catalog
from bus.gateway.assembly import assemble_gateway
from bus.gateway.client_certificates import ClientCertificateMiddleware
from bus.http_intake import BoundedHttpProtocol, HttpIntakeSettings
from bus.settings import BusSettings
from bus.transport import make_transport
from lgsp.default_catalog import DEFAULT_CATALOG
from tests.pki import Pki, make_pki, subject
from tests.security.served import AGENCY, AGENCY_KEY, ATTACKER, ECHO, ServedGateway, served_gateway

AGENCY_ID = AGENCY["x-road-client"]


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
async def mutual(pki: Pki) -> AsyncIterator[ServedGateway]:
    """The gateway requiring client certificates from `pki`'s CA; `agency`'s certificate is AGENCY's."""
    intake = HttpIntakeSettings(
        tls_certfile=pki.server_file,
        tls_client_ca=pki.ca_file,
        tls_client_ids={subject("agency"): AGENCY_ID},
    )
    async with served_gateway(intake) as gateway:
        yield gateway


async def test_the_gateway_serves_https_with_its_certificate(pki: Pki) -> None:
    async with served_gateway(HttpIntakeSettings(tls_certfile=pki.server_file)) as gateway:
        async with httpx.AsyncClient(base_url=gateway.url, verify=pki.client_context()) as client:
            answer = await client.post(ECHO, json={"n": 1}, headers=AGENCY)
        async with httpx.AsyncClient(base_url=gateway.url) as untrusting:  # the system's CAs only
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting.post(ECHO, json={}, headers=AGENCY)
    assert gateway.url.startswith("https://")
    assert answer.status_code == 200 and answer.json()["echo"] == {"n": 1}


async def test_a_client_certificate_mapped_to_the_named_client_is_served(
    pki: Pki, mutual: ServedGateway
) -> None:
    context = pki.client_context(pki.client_certificate("agency"))
    async with httpx.AsyncClient(base_url=mutual.url, verify=context) as client:
        named = await client.post(ECHO, json={}, headers=AGENCY)
        # Naming no client: the certificate's is used, so the key must be that client's.
        unnamed = await client.post(ECHO, json={}, headers={"x-api-key": AGENCY_KEY})
    assert named.status_code == 200, named.text
    assert unnamed.status_code == 200, unnamed.text
    assert [r.client for r in mutual.records] == [AGENCY_ID, AGENCY_ID]


async def test_a_certificate_used_for_another_client_is_refused_and_nothing_is_sent(
    pki: Pki, mutual: ServedGateway
) -> None:
    context = pki.client_context(pki.client_certificate("agency"))
    async with httpx.AsyncClient(base_url=mutual.url, verify=context) as client:
        # The attacker's own, valid key, over the agency's certificate.
        other = await client.post(ECHO, json={}, headers=ATTACKER)
        key_only = await client.post(ECHO, json={}, headers={"x-api-key": ATTACKER["x-api-key"]})
    assert (other.status_code, other.json()["type"]) == (403, "Client.AccessDenied")
    assert (key_only.status_code, key_only.json()["type"]) == (401, "Client.Unauthenticated")
    # Both refusals are recorded: at the certificate check as the client named, the key-only call as
    # AGENCY's (its certificate's); nothing reached the bus.
    assert [(r.client, r.fault_type) for r in mutual.records] == [
        (ATTACKER["x-road-client"], "Client.AccessDenied"),
        (AGENCY_ID, "Client.Unauthenticated"),
    ]
    assert all(r.worker is None for r in mutual.records)


async def test_a_certificate_registered_to_no_client_is_refused(pki: Pki, mutual: ServedGateway) -> None:
    context = pki.client_context(pki.client_certificate("stranger"))
    async with httpx.AsyncClient(base_url=mutual.url, verify=context) as client:
        answer = await client.post(ECHO, json={}, headers=AGENCY)
    assert (answer.status_code, answer.json()["type"]) == (403, "Client.AccessDenied")
    assert "stranger" not in answer.text
    assert [(r.client, r.fault_type, r.worker) for r in mutual.records] == [
        (AGENCY_ID, "Client.AccessDenied", None)
    ]


async def test_without_a_client_certificate_the_handshake_fails(pki: Pki, mutual: ServedGateway) -> None:
    async with httpx.AsyncClient(base_url=mutual.url, verify=pki.client_context()) as client:
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            await client.post(ECHO, json={}, headers=AGENCY)
    assert mutual.records == []


async def test_a_certificate_from_another_ca_fails_the_handshake(
    pki: Pki, mutual: ServedGateway, tmp_path: Path
) -> None:
    (tmp_path / "foreign").mkdir()
    foreign = make_pki(tmp_path / "foreign")
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    context.load_cert_chain(str(foreign.client_certificate("agency")))
    async with httpx.AsyncClient(base_url=mutual.url, verify=context) as client:
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            await client.post(ECHO, json={}, headers=AGENCY)
    assert mutual.records == []


def test_the_assembled_gateway_wires_mutual_tls_from_settings(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGSP_HTTP_TLS_CERTFILE", str(pki.server_file))
    monkeypatch.setenv("LGSP_HTTP_TLS_CLIENT_CA", str(pki.ca_file))
    monkeypatch.setenv("LGSP_HTTP_TLS_CLIENT_IDS", f'{{"{subject("agency")}": "{AGENCY_ID}"}}')
    app = assemble_gateway(load_catalog(DEFAULT_CATALOG), make_transport(None), BusSettings())
    assert ClientCertificateMiddleware in [m.cls for m in app.user_middleware]


@pytest.mark.parametrize(
    "values",
    [
        {"tls_keyfile": "ca"},
        {"tls_client_ca": "ca"},
        {"tls_certfile": "server", "tls_client_ids": {"CN=x": "y"}},
    ],
)
def test_incomplete_tls_settings_are_refused(pki: Pki, values: dict[str, object]) -> None:
    files = {"ca": pki.ca_file, "server": pki.server_file}
    given = {k: files.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
    with pytest.raises(ValueError, match="LGSP_HTTP_TLS"):
        HttpIntakeSettings(**given)


def test_lgsp_gateway_serves_with_read_time_outs_and_mutual_tls_from_settings(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    bound: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: bound.update(options))
    monkeypatch.setenv("LGSP_HTTP_HEADER_TIMEOUT", "3")
    monkeypatch.setenv("LGSP_HTTP_TLS_CERTFILE", str(pki.server_file))
    monkeypatch.setenv("LGSP_HTTP_TLS_CLIENT_CA", str(pki.ca_file))
    lgsp = next(iter(entry_points(group="console_scripts", name="lgsp"))).load()
    result = CliRunner().invoke(lgsp, ["gateway"])
    assert result.exit_code == 0, result.output
    assert issubclass(bound["http"], BoundedHttpProtocol) and bound["http"].header_timeout == 3.0
    assert bound["ssl_certfile"] == str(pki.server_file) and bound["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    assert bound["limit_concurrency"] == 2048 and bound["timeout_keep_alive"] == 5
