"""OAuth2 client credentials (RFC 6749 §4.4): issue bearer tokens, check them on every API call."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, unquote

from pydantic import SecretStr

# RFC 7235: every 401 names a scheme; clients authenticate to the token endpoint with Basic.
CLIENT_CHALLENGE = 'Basic realm="vnpost"'


class OAuthError(Exception):
    """A refused token request or API call, answered `{error, error_description}` (RFC 6749 §5.2, 6750 §3)."""

    def __init__(self, status: int, error: str, description: str, www_authenticate: str | None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.www_authenticate = www_authenticate


class TokenIssuer:
    """Issues tokens to known clients and recognises them until they expire (real time, not simulated)."""

    def __init__(
        self,
        clients: Mapping[str, str | SecretStr],
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = {
            client: secret.get_secret_value() if isinstance(secret, SecretStr) else secret
            for client, secret in clients.items()
        }
        self._ttl_s = ttl_s
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    @property
    def ttl_s(self) -> float:
        """Lifetime of a token in seconds."""
        return self._ttl_s

    def issue(self, form_body: bytes, authorization: str | None) -> str:
        """A new token for a `grant_type=client_credentials` request, with Basic or form credentials."""
        form = dict(parse_qsl(form_body.decode("utf-8", "replace")))
        if "grant_type" not in form:
            raise OAuthError(400, "invalid_request", "grant_type is required", None)
        if form["grant_type"] != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "only client_credentials is supported", None)
        basic = authorization is not None and authorization.lower().startswith("basic ")
        client_id, secret = _basic_credentials(authorization) if basic else _form_credentials(form)
        known = self._clients.get(client_id)
        if known is None or not hmac.compare_digest(known.encode(), secret.encode()):
            raise OAuthError(401, "invalid_client", "unknown client or wrong secret", CLIENT_CHALLENGE)
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (client_id, self._clock() + self._ttl_s)
        return token

    def client_of(self, authorization: str | None) -> str:
        """The client behind a valid `Authorization: Bearer` header."""
        if authorization is None or not authorization.lower().startswith("bearer "):
            raise OAuthError(
                401, "invalid_request", "a Bearer access token is required", 'Bearer realm="vnpost"'
            )
        entry = self._tokens.get(authorization[7:].strip())
        if entry is None or entry[1] <= self._clock():
            challenge = 'Bearer realm="vnpost", error="invalid_token"'
            raise OAuthError(401, "invalid_token", "the access token is unknown or expired", challenge)
        return entry[0]

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [token for token, (_, expires) in self._tokens.items() if expires <= now]:
            del self._tokens[token]


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    try:
        decoded = base64.b64decode((authorization or "")[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", "malformed Basic credentials", CLIENT_CHALLENGE) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(401, "invalid_client", "malformed Basic credentials", CLIENT_CHALLENGE)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote(client_id), unquote(secret)


def _form_credentials(form: Mapping[str, str]) -> tuple[str, str]:
    if "client_id" not in form or "client_secret" not in form:
        raise OAuthError(401, "invalid_client", "client_id and client_secret are required", CLIENT_CHALLENGE)
    return form["client_id"], form["client_secret"]
