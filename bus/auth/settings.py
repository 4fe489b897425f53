"""Settings of authentication: the token signing keys, token lifetime, admin credentials."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_CHARS = 32


def _random_secret() -> SecretStr:
    """A random secret of this process (tokens it signs are valid nowhere else)."""
    return SecretStr(secrets.token_urlsafe(MIN_SECRET_CHARS))


class AuthSettings(BaseSettings):
    """`LGSP_AUTH_*`: how tokens are signed and checked, and who may use the admin API.

    Without `token_secret` each process signs with its own random secret, so several gateway replicas
    must share one through `LGSP_AUTH_TOKEN_SECRET`.
    """

    model_config = SettingsConfigDict(
        env_prefix="LGSP_AUTH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token_secret: SecretStr = Field(
        default_factory=_random_secret,
        description=f"signs bearer tokens (at least {MIN_SECRET_CHARS} characters); replicas must share one",
    )
    token_kid: str = Field(default="k1", min_length=1, max_length=64, description="key id of `token_secret`")
    previous_token_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="kid → secret still accepted (not used to sign) during a rotation"
    )
    token_ttl_seconds: int = Field(default=300, ge=10, le=3600, description="lifetime of a bearer token (s)")
    token_audience: str = Field(default="lgsp-gateway", min_length=1, description="`aud` of issued tokens")
    token_issuer: str = Field(default="lgsp", min_length=1, description="`iss` of issued tokens")
    admin_key_sha256: tuple[str, ...] = Field(default=(), description="SHA-256 hex digests of admin keys")
    monitoring_token_sha256: tuple[str, ...] = Field(
        default=(), description="SHA-256 hex digests of bearer tokens reading /metrics and /monitoring/*"
    )
    key_overlap_seconds: int = Field(
        default=86_400, ge=0, le=90 * 86_400, description="how long replaced keys keep working"
    )

    @field_validator("token_secret")
    @classmethod
    def _long_secret(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"token_secret must have at least {MIN_SECRET_CHARS} characters")
        return secret

    @field_validator("previous_token_secrets")
    @classmethod
    def _long_previous(cls, previous: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for kid, secret in previous.items():
            if len(secret.get_secret_value()) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"previous_token_secrets[{kid!r}] must have at least {MIN_SECRET_CHARS} characters"
                )
        return previous

    @field_validator("admin_key_sha256", "monitoring_token_sha256")
    @classmethod
    def _hex_digests(cls, digests: tuple[str, ...]) -> tuple[str, ...]:
        for digest in digests:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("each key must be a 64-character lower-case SHA-256 hex digest")
        return digests
