"""OAuth2 client-credentials cache: single flight, refresh before expiry, 401 → refresh and retry once."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import httpx
import pytest

from adapters.sdk import ClientCredentialsToken, ProviderClient
from bus.envelope import Envelope
from bus.errors import BadResponse, ProviderRejected


class FakeProvider:
    """A token endpoint issuing t1, t2, … and an API accepting only the tokens listed in `valid`."""

    def __init__(self, expires_in: float | None = 100, token_delay: float = 0.05) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.token_requests: list[httpx.Request] = []
        self.api_tokens: list[str] = []
        self.valid: set[str] | None = None  # None: every issued token is valid
        self.token_answer: dict[str, object] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(request)
            await asyncio.sleep(self.token_delay)  # slow enough for concurrent callers to overlap
            if self.token_answer is not None:
                return httpx.Response(200, json=self.token_answer)
            answer: dict[str, object] = {
                "access_token": f"t{len(self.token_requests)}",
                "token_type": "bearer",
            }
            if self.expires_in is not None:
                answer["expires_in"] = self.expires_in
            return httpx.Response(200, json=answer)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.api_tokens.append(token)
        if self.valid is not None and token not in self.valid:
            return httpx.Response(401, json={"message": "token expired"})
        return httpx.Response(200, json={"ok": True})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _envelope() -> Envelope:
    return Envelope(client="VN/GOV/HPG/STP", service="VN/GOV/VNPOST/BUUCHINH/postOrder/v1").with_deadline(5)


def _tokens(
    provider: FakeProvider, clock: FakeClock | None = None, **options: object
) -> ClientCredentialsToken:
    client = ProviderClient("http://vnpost", provider="vnpost", transport=httpx.MockTransport(provider))
    return ClientCredentialsToken(
        client,
        "/oauth/token",
        "lgsp-hpg",
        "s3cret",
        clock=clock or FakeClock(),
        **options,  # type: ignore[arg-type]
    )


async def test_fifty_concurrent_callers_cause_one_token_request() -> None:
    provider = FakeProvider()
    tokens = _tokens(provider)
    got = await asyncio.gather(*(tokens.token(_envelope()) for _ in range(50)))
    assert len(provider.token_requests) == 1
    assert set(got) == {"t1"}


async def test_cached_token_is_reused_until_the_refresh_margin_then_refreshed() -> None:
    provider, clock = FakeProvider(expires_in=100), FakeClock()
    tokens = _tokens(provider, clock, refresh_margin=30)
    assert await tokens.token(_envelope()) == "t1"
    clock.now += 69  # 31 s of life left: still outside the 30 s margin
    assert await tokens.token(_envelope()) == "t1"
    clock.now += 2  # 29 s left: refresh before it expires
    assert await tokens.token(_envelope()) == "t2"
    assert len(provider.token_requests) == 2


async def test_short_lived_token_is_not_stale_on_arrival() -> None:
    provider, clock = FakeProvider(expires_in=10), FakeClock()
    tokens = _tokens(provider, clock, refresh_margin=30)
    await tokens.token(_envelope())
    clock.now += 4  # margin is capped at half the lifetime: 5 s
    assert await tokens.token(_envelope()) == "t1"
    assert len(provider.token_requests) == 1


async def test_token_without_expires_in_uses_default_lifetime() -> None:
    provider, clock = FakeProvider(expires_in=None), FakeClock()
    tokens = _tokens(provider, clock, default_lifetime=60, refresh_margin=10)
    await tokens.token(_envelope())
    clock.now += 49
    await tokens.token(_envelope())
    clock.now += 2
    await tokens.token(_envelope())
    assert len(provider.token_requests) == 2


async def test_401_invalidates_the_token_and_retries_once_with_a_fresh_one() -> None:
    provider = FakeProvider()
    provider.valid = {"t2"}
    tokens = _tokens(provider)
    response = await tokens.authorized_request(_envelope(), "GET", "/api/orders")
    assert response.json() == {"ok": True}
    assert provider.api_tokens == ["t1", "t2"]
    assert len(provider.token_requests) == 2


async def test_second_401_is_not_retried_again_and_maps_to_provider_rejected() -> None:
    provider = FakeProvider()
    provider.valid = set()
    tokens = _tokens(provider)
    with pytest.raises(ProviderRejected, match="401"):
        await tokens.authorized_request(_envelope(), "GET", "/api/orders")
    assert provider.api_tokens == ["t1", "t2"]


async def test_client_secret_goes_in_form_body_by_default() -> None:
    provider = FakeProvider()
    await _tokens(provider, scope="orders").token(_envelope())
    form = parse_qs(provider.token_requests[0].content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "scope": ["orders"],
        "client_id": ["lgsp-hpg"],
        "client_secret": ["s3cret"],
    }


async def test_basic_auth_method_sends_credentials_in_authorization_header_only() -> None:
    provider = FakeProvider()
    await _tokens(provider, auth_method="basic").token(_envelope())
    sent = provider.token_requests[0]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"lgsp-hpg:s3cret").decode()
    assert parse_qs(sent.content.decode()) == {"grant_type": ["client_credentials"]}


async def test_token_answer_without_access_token_maps_to_bad_response() -> None:
    provider = FakeProvider()
    provider.token_answer = {"token_type": "bearer"}
    with pytest.raises(BadResponse, match="access_token"):
        await _tokens(provider).token(_envelope())


async def test_failed_fetch_is_not_cached_and_next_caller_fetches_again() -> None:
    provider = FakeProvider()
    provider.token_answer = {"nope": 1}
    tokens = _tokens(provider)
    with pytest.raises(BadResponse):
        await tokens.token(_envelope())
    provider.token_answer = None
    assert await tokens.token(_envelope()) == "t2"
