"""The admin credential: an `X-Admin-Key` header checked against the SHA-256 digests in settings."""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import Request

from bus.catalog import hash_api_key
from bus.errors import AccessDenied, Unauthenticated

ADMIN_KEY_HEADER = "x-admin-key"
IDENTITY_CHARS = 12  # of the key's SHA-256 digest naming the admin who acted (LGSP_AUTH_ADMIN_KEY_SHA256)

log = logging.getLogger(__name__)


def new_admin_key() -> str:
    """A random admin key for one run of the embedded stack (`lgsp run` prints it to its operator)."""
    return secrets.token_urlsafe(24)


def admin_hint(key: str) -> str:
    """How to act as this run's operator, as `lgsp run` prints it."""
    return (
        f"operator: export LGSP_ADMIN_KEY={key}  (this run's admin key, sent as X-Admin-Key: "
        "lgsp journey resume, the admin API, fault controls)"
    )


class AdminCredential:
    """A FastAPI dependency that lets a request through only with a valid admin key."""

    def __init__(self, admin_key_sha256: tuple[str, ...]) -> None:
        self._digests = admin_key_sha256

    @property
    def configured(self) -> bool:
        """Whether any admin key is configured (else the admin API is disabled)."""
        return bool(self._digests)

    def matches(self, key: str) -> bool:
        """Constant-time check of `key` against every admin digest."""
        return self.identify(key) is not None

    def identify(self, key: str) -> str | None:
        """Which admin key `key` is, `admin:` and the start of its configured digest (an operator's
        action is recorded under it); None when it is none of them. Constant-time."""
        presented = hash_api_key(key)
        found = None
        for digest in self._digests:
            if hmac.compare_digest(presented, digest):
                found = digest
        return None if found is None else f"admin:{found[:IDENTITY_CHARS]}"

    async def __call__(self, request: Request) -> str:
        """The admin's identity (see `identify`); Unauthenticated (no or wrong key) or AccessDenied (no
        admin key configured)."""
        if not self._digests:
            log.warning("admin refused: reason=admin API disabled path=%s", request.url.path[:128])
            raise AccessDenied(
                "the admin API is disabled: no admin key is configured (LGSP_AUTH_ADMIN_KEY_SHA256)"
            )
        key = request.headers.get(ADMIN_KEY_HEADER)
        identity = self.identify(key) if key else None
        if identity is None:
            log.warning(
                "admin refused: reason=%s path=%s", "no key" if not key else "bad key", request.url.path[:128]
            )
            raise Unauthenticated(f"send a valid admin key in {ADMIN_KEY_HEADER!r}")
        return identity
