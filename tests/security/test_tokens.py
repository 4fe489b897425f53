"""Bearer tokens: issued for a client, refused when forged, expired, foreign or unsigned."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from bus.auth import AuthSettings, TokenIssuer
from bus.errors import Unauthenticated
from bus.identifiers import ClientId
from tests.security.conftest import TOKEN_SECRET, auth_settings

STP = ClientId.parse("VN/GOV/HPG/STP")


def claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": str(STP),
        "aud": "lgsp-gateway",
        "iss": "lgsp",
        "iat": now,
        "exp": now + 60,
    }
    base.update(changes)
    return base


def test_issued_token_names_the_client_and_expires_after_the_ttl() -> None:
    issuer = TokenIssuer(auth_settings())
    issued = issuer.issue(STP)
    assert issued.token_type == "Bearer" and issued.expires_in == 60
    assert issuer.verify(issued.access_token) == STP
    header = jwt.get_unverified_header(issued.access_token)
    assert header == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    body = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 60 and body["aud"] == "lgsp-gateway"


def test_token_is_refused_once_the_clock_passes_its_expiry() -> None:
    clock = [time.time()]
    issuer = TokenIssuer(auth_settings(), clock=lambda: clock[0])
    token = issuer.issue(STP).access_token
    clock[0] += 61
    with pytest.raises(Unauthenticated, match="expired"):
        issuer.verify(token)


def signed(
    body: dict[str, object], key: str | None = TOKEN_SECRET, alg: str = "HS256", kid: str = "k1"
) -> str:
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest.mark.parametrize(
    ("forged", "why"),
    [
        (lambda: signed(claims(), key="x" * 40), "wrong secret"),
        (lambda: signed(claims(), key=None, alg="none"), "alg none"),
        (lambda: signed(claims(aud="other")), "wrong audience"),
        (lambda: signed(claims(iss="evil")), "wrong issuer"),
        (lambda: signed(claims(exp=1)), "expired"),
        (lambda: signed(claims(), kid="k9"), "unknown kid"),
        (lambda: signed(claims(), key="x" * 64, alg="HS512"), "other algorithm"),
        (lambda: signed(claims(sub="nobody")), "subject not a client id"),
        (lambda: signed({"sub": str(STP)}), "no exp"),
        (lambda: "not.a.token", "garbage"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_forged_or_foreign_tokens_are_unauthenticated(forged: object, why: str) -> None:
    issuer = TokenIssuer(auth_settings())
    with pytest.raises(Unauthenticated):
        issuer.verify(forged())  # type: ignore[operator]


def test_altered_payload_breaks_the_signature() -> None:
    issuer = TokenIssuer(auth_settings())
    head, _, signature = issuer.issue(STP).access_token.split(".")
    other = jwt.encode(claims(sub="VN/GOV/HPG/OTHER"), "irrelevant" * 4, algorithm="HS256").split(".")[1]
    with pytest.raises(Unauthenticated):
        issuer.verify(f"{head}.{other}.{signature}")


def test_tokens_of_the_previous_secret_still_verify_after_a_rotation() -> None:
    old = TokenIssuer(auth_settings())
    token = old.issue(STP).access_token
    rotated = TokenIssuer(
        auth_settings(
            token_secret=SecretStr("n" * 40), token_kid="k2", previous_token_secrets={"k1": TOKEN_SECRET}
        )
    )
    assert rotated.verify(token) == STP
    assert jwt.get_unverified_header(rotated.issue(STP).access_token)["kid"] == "k2"
    retired = TokenIssuer(auth_settings(token_secret=SecretStr("n" * 40), token_kid="k2"))
    with pytest.raises(Unauthenticated):
        retired.verify(token)


def test_short_token_secret_is_refused_by_settings() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        AuthSettings(token_secret=SecretStr("short"))
