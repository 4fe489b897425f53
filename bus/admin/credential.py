"""The admin credential: an `X-Admin-Key` header checked against the SHA-256 digests in settings."""

from __future__ import annotations

import hmac
import logging

from fastapi import Request

from bus.catalog import hash_api_key
from bus.errors import AccessDenied, Unauthenticated

ADMIN_KEY_HEADER = "x-admin-key"

log = logging.getLogger(__name__)


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
        presented = hash_api_key(key)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(presented, digest)
        return matched

    async def __call__(self, request: Request) -> None:
        """Raise Unauthenticated (no or wrong key) or AccessDenied (no admin key configured)."""
        if not self._digests:
            log.warning("admin refused: reason=admin API disabled path=%s", request.url.path[:128])
            raise AccessDenied(
                "the admin API is disabled: no admin key is configured (LGSP_AUTH_ADMIN_KEY_SHA256)"
            )
        key = request.headers.get(ADMIN_KEY_HEADER)
        if not key or not self.matches(key):
            log.warning(
                "admin refused: reason=%s path=%s", "no key" if not key else "bad key", request.url.path[:128]
            )
            raise Unauthenticated(f"send a valid admin key in {ADMIN_KEY_HEADER!r}")
