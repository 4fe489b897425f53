"""Who may read monitoring: `/metrics` and `/monitoring/*` list every agency's calls, officers and
dossiers, so they need a credential.

Two are accepted: a monitoring token as `Authorization: Bearer <token>` (the monitoring role; what
Prometheus sends with `authorization: {credentials: …}` in its scrape config), its SHA-256 in
`LGSP_AUTH_MONITORING_TOKEN_SHA256`; or the admin key in `X-Admin-Key`. With neither configured,
monitoring is closed (403), as the admin API is.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import Request

from bus.admin.credential import ADMIN_KEY_HEADER, AdminCredential
from bus.catalog import hash_api_key
from bus.errors import AccessDenied, Unauthenticated

log = logging.getLogger(__name__)


def new_monitoring_token() -> str:
    """A random token for one run of the embedded stack, when none is configured."""
    return secrets.token_urlsafe(24)


def monitoring_hint(gateway_url: str, token: str) -> str:
    """How to reach monitoring, as `lgsp run` prints it."""
    return (
        f"monitoring: curl -H 'Authorization: Bearer {token}' {gateway_url}/metrics "
        "(and /monitoring/health, /monitoring/records, /monitoring/breakers; or send X-Admin-Key)"
    )


class MonitoringCredential:
    """A FastAPI dependency letting a request through with a monitoring token or the admin key."""

    def __init__(self, token_sha256: tuple[str, ...], admin: AdminCredential) -> None:
        self._digests = token_sha256
        self._admin = admin

    @property
    def configured(self) -> bool:
        """Whether any credential could open monitoring."""
        return bool(self._digests) or self._admin.configured

    def token_matches(self, token: str) -> bool:
        """Constant-time check of `token` against every monitoring-token digest."""
        presented = hash_api_key(token)
        matched = False
        for digest in self._digests:  # every digest, so the time taken tells nothing
            matched |= hmac.compare_digest(presented, digest)
        return matched

    async def __call__(self, request: Request) -> None:
        """Raise Unauthenticated (no or wrong credential) or AccessDenied (none configured)."""
        if not self.configured:
            raise AccessDenied(
                "monitoring is closed: configure LGSP_AUTH_MONITORING_TOKEN_SHA256 "
                "or LGSP_AUTH_ADMIN_KEY_SHA256"
            )
        authorization = request.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer " and self.token_matches(authorization[7:].strip()):
            return
        key = request.headers.get(ADMIN_KEY_HEADER)
        if key and self._admin.matches(key):
            return
        log.warning(
            "monitoring refused: reason=%s path=%s",
            "bad credential" if authorization or key else "none",
            request.url.path[:128],
        )
        raise Unauthenticated(
            f"send a monitoring token as 'Authorization: Bearer …' or an admin key in {ADMIN_KEY_HEADER!r}"
        )
