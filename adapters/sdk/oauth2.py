"""OAuth2 client-credentials tokens: cached, refreshed before expiry, fetched once however many wait.

Fifty concurrent callers with no valid token cause one token request (single flight under a lock);
a 401 from the provider invalidates the token and the call is retried once with a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ValidationError

from adapters.sdk.http_client import ProviderClient
from adapters.sdk.provider_errors import json_body, raise_for_status
from bus.envelope import Envelope
from bus.errors import BadResponse


class TokenResponse(BaseModel):
    """An RFC 6749 §5.1 token answer (only the fields we use)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: float | None = None


class ClientCredentialsToken:
    """A cached client-credentials access token for one provider."""

    def __init__(
        self,
        client: ProviderClient,
        token_path: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        auth_method: Literal["body", "basic"] = "body",
        refresh_margin: float = 30.0,
        default_lifetime: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._token_path = token_path
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._auth_method = auth_method
        self._refresh_margin = refresh_margin
        self._default_lifetime = default_lifetime
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many token requests were sent: for tests and metrics

    def _valid(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def token(self, request: Envelope) -> str:
        """A valid access token, fetching one (once, for all concurrent callers) when needed."""
        current = self._valid()
        if current is not None:
            return current
        async with self._lock:
            current = self._valid()  # another caller may have fetched it while we waited
            if current is not None:
                return current
            answer = await self._fetch(request)
            lifetime = answer.expires_in if answer.expires_in is not None else self._default_lifetime
            # Refresh early, but never so early that a short-lived token is stale from the start.
            self._refresh_at = self._clock() + lifetime - min(self._refresh_margin, lifetime / 2)
            self._token = answer.access_token
            return answer.access_token

    def invalidate(self, token: str) -> None:
        """Forget `token` (the provider refused it); a newer token fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self, request: Envelope) -> TokenResponse:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        headers: dict[str, str] = {}
        if self._auth_method == "basic":
            pair = f"{self._client_id}:{self._client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        self.fetches += 1
        response = await self._client.request(request, "POST", self._token_path, data=form, headers=headers)
        try:
            return TokenResponse.model_validate(json_body(response, self._client.provider))
        except ValidationError as exc:
            raise BadResponse(f"{self._client.provider} token answer is invalid: {exc}") from exc

    async def authorized_request(
        self,
        request: Envelope,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        check_status: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call the provider with the bearer token; on 401 refresh the token and retry once."""
        response: httpx.Response | None = None
        for _ in range(2):
            token = await self.token(request)
            auth = {**(headers or {}), "Authorization": f"Bearer {token}"}
            response = await self._client.request(
                request, method, url, headers=auth, check_status=False, **kwargs
            )
            if response.status_code != 401:
                break
            self.invalidate(token)
        assert response is not None
        if check_status:
            raise_for_status(response, self._client.provider)
        return response
