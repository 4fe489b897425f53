"""The token endpoint and the admin API over HTTP, as a client and an operator use them."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bus.catalog import hash_api_key
from bus.identifiers import ClientId
from bus.store import Store
from tests.in_process_stack import SecuredStack, secured_stack
from tests.security.conftest import (
    ADMIN_KEY,
    OTHER_KEY,
    STP_EXPIRED_KEY,
    STP_KEY,
    auth_settings,
    security_catalog,
)

STP = "VN/GOV/HPG/STP"
ADMIN = {"X-Admin-Key": ADMIN_KEY}
ECHO = "VN/GOV/HPG/SEC/Echo/v1"


@pytest.fixture
async def stack(store: Store) -> AsyncIterator[SecuredStack]:
    async with secured_stack(security_catalog(), store, auth_settings()) as running:
        yield running


def form(**fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", **fields}


async def test_client_credentials_in_the_form_get_a_bearer_token_the_gateway_accepts(
    stack: SecuredStack,
) -> None:
    response = await stack.http.post("/oauth/token", data=form(client_id=STP, client_secret=STP_KEY))
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 60
    client = await stack.access.authenticate({"authorization": f"Bearer {token['access_token']}"})
    assert client.id == ClientId.parse(STP)


async def test_client_credentials_by_http_basic_are_accepted(stack: SecuredStack) -> None:
    basic = base64.b64encode(f"{STP}:{STP_KEY}".encode()).decode()
    response = await stack.http.post("/oauth/token", data=form(), headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        (form(client_id=STP, client_secret="wrong"), 401, "invalid_client"),
        (form(client_id=STP, client_secret=STP_EXPIRED_KEY), 401, "invalid_client"),
        (form(client_id="VN/GOV/HPG/NOBODY", client_secret=STP_KEY), 401, "invalid_client"),
        (form(client_id="not an id", client_secret=STP_KEY), 401, "invalid_client"),
        (form(client_id=STP), 401, "invalid_client"),
        (
            {"grant_type": "password", "client_id": STP, "client_secret": STP_KEY},
            400,
            "unsupported_grant_type",
        ),
        ({}, 400, "unsupported_grant_type"),
    ],
)
async def test_bad_token_requests_get_an_oauth_error_and_no_token(
    stack: SecuredStack, fields: dict[str, str], status: int, error: str
) -> None:
    response = await stack.http.post("/oauth/token", data=fields)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert "access_token" not in response.text


async def test_repeated_form_parameters_are_refused(stack: SecuredStack) -> None:
    body = f"grant_type=client_credentials&client_id={STP}&client_secret=x&client_secret={STP_KEY}"
    response = await stack.http.post(
        "/oauth/token", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("headers", "status", "error_type"),
    [
        ({}, 401, "Client.Unauthenticated"),
        ({"X-Admin-Key": "wrong"}, 401, "Client.Unauthenticated"),
        ({"X-Admin-Key": STP_KEY}, 401, "Client.Unauthenticated"),
    ],
)
async def test_admin_api_refuses_callers_without_the_admin_key(
    stack: SecuredStack, headers: dict[str, str], status: int, error_type: str
) -> None:
    for method, path in [("GET", "/admin/clients"), ("GET", "/admin/rights"), ("POST", "/admin/keys/rotate")]:
        response = await stack.http.request(method, path, headers=headers, json={"client": STP})
        assert (response.status_code, response.json()["type"]) == (status, error_type)
    assert await stack.store.get("auth:keys:" + STP) is None


async def test_admin_api_is_closed_when_no_admin_key_is_configured(store: Store) -> None:
    async with secured_stack(security_catalog(), store, auth_settings(admin_key_sha256=())) as stack:
        response = await stack.http.get("/admin/clients", headers=ADMIN)
    assert response.status_code == 403 and response.json()["type"] == "Client.AccessDenied"


async def test_admin_lists_clients_without_any_key_or_digest(stack: SecuredStack) -> None:
    response = await stack.http.get("/admin/clients", headers=ADMIN)
    assert response.status_code == 200
    listed = {c["id"]: c for c in response.json()}
    assert listed[STP]["groups"] == ["province"] and listed[STP]["catalog_keys"] == 4
    for secret in (STP_KEY, OTHER_KEY, hash_api_key(STP_KEY), hash_api_key(OTHER_KEY)):
        assert secret not in response.text


async def test_admin_rotation_shows_the_new_key_once_and_it_gets_a_token(stack: SecuredStack) -> None:
    response = await stack.http.post("/admin/keys/rotate", headers=ADMIN, json={"client": STP})
    assert response.status_code == 201, response.text
    new_key = response.json()["api_key"]
    token = await stack.http.post("/oauth/token", data=form(client_id=STP, client_secret=new_key))
    assert token.status_code == 200
    old = await stack.http.post("/oauth/token", data=form(client_id=STP, client_secret=STP_KEY))
    assert old.status_code == 200  # still inside the overlap window
    listing = await stack.http.get("/admin/clients", headers=ADMIN)
    assert new_key not in listing.text
    assert listing.json()[0]["catalog_keys_until"] == response.json()["previous_keys_valid_until"]


async def test_admin_grant_then_revoke_changes_what_a_client_may_call(stack: SecuredStack) -> None:
    other = stack.catalog.client(ClientId.parse("VN/GOV/HPG/OTHER"))
    assert other is not None
    right = {"to": "VN/GOV/HPG/OTHER", "service": ECHO, "methods": ["POST"], "path_prefix": "x"}
    granted = await stack.http.post("/admin/rights/grant", headers=ADMIN, json=right)
    assert granted.json() == {"changed": True}
    assert await stack.access.authorize(other, stack.catalog.services[0].id, "POST", "x/1")
    listing = (await stack.http.get("/admin/rights", headers=ADMIN)).json()
    assert {"grant": right, "origin": "runtime"} in listing
    revoked = await stack.http.post("/admin/rights/revoke", headers=ADMIN, json=right)
    assert revoked.json() == {"changed": True}
    assert not await stack.access.rights.permits(other, stack.catalog.services[0], "POST", "x/1")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"to": "VN/GOV/HPG/OTHER", "service": "nonsense"}',
        b'{"to": "VN/GOV/HPG/OTHER", "service": "VN/GOV/HPG/SEC/Echo/v1", "methods": ["TRACE"]}',
        b'{"to": "VN/GOV/HPG/OTHER", "service": "VN/GOV/HPG/SEC/Echo/v1", "extra": 1}',
        b'{"to": "VN/GOV/HPG/NOBODY", "service": "VN/GOV/HPG/SEC/Echo/v1"}',
    ],
)
async def test_bad_grants_are_client_bad_request_and_change_nothing(stack: SecuredStack, body: bytes) -> None:
    before = await stack.access.rights.rights()
    response = await stack.http.post(
        "/admin/rights/grant", headers={**ADMIN, "content-type": "application/json"}, content=body
    )
    assert response.status_code == 400 and response.json()["type"] == "Client.BadRequest"
    assert await stack.access.rights.rights() == before
