"""Short-lived access tokens: JWT signed with HS256, a `kid` per signing secret so secrets can rotate."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
from pydantic import BaseModel

from bus.auth.settings import AuthSettings
from bus.errors import Unauthenticated
from bus.identifiers import ClientId, IdentifierError

ALGORITHM = "HS256"


class IssuedToken(BaseModel):
    """The OAuth2 token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class TokenIssuer:
    """Signs tokens for authenticated clients and verifies the ones presented back."""

    def __init__(self, settings: AuthSettings, *, clock: Callable[[], float] = time.time) -> None:
        self._kid = settings.token_kid
        self._keys = {kid: s.get_secret_value() for kid, s in settings.previous_token_secrets.items()}
        self._keys[self._kid] = settings.token_secret.get_secret_value()
        self._ttl = settings.token_ttl_seconds
        self._audience = settings.token_audience
        self._issuer = settings.token_issuer
        self._clock = clock

    def issue(self, client: ClientId) -> IssuedToken:
        """A token naming `client` as its subject, valid for the configured lifetime."""
        now = int(self._clock())
        claims = {
            "sub": str(client),
            "aud": self._audience,
            "iss": self._issuer,
            "iat": now,
            "exp": now + self._ttl,
        }
        token = jwt.encode(claims, self._keys[self._kid], algorithm=ALGORITHM, headers={"kid": self._kid})
        return IssuedToken(access_token=token, expires_in=self._ttl)

    def verify(self, token: str) -> ClientId:
        """The client a valid token names; Unauthenticated for a forged, expired or foreign token."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated("the token's signing key is not known")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=0,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token was not accepted: {type(exc).__name__}") from exc
        # PyJWT reads the system clock; the injected one (tests, simulated time) must agree too.
        if int(claims["exp"]) <= int(self._clock()):
            raise Unauthenticated("the token has expired")
        try:
            return ClientId.parse(str(claims["sub"]))
        except IdentifierError as exc:
            raise Unauthenticated("the token names no valid client") from exc
