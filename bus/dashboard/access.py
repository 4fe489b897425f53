"""Who may see the dashboard and who may drive it.

    viewer  what opens monitoring: a monitoring token (`Authorization: Bearer`) or the admin key;
            read-only views (they list every agency's calls, so a client's own key is not enough)
    admin   the admin key (`X-Admin-Key`): fault and load controls too

A browser cannot send headers on an EventSource, so a credential is exchanged once (`POST /ui/session`)
for a session cookie: random, HttpOnly, SameSite=Strict, path /ui, kept (as its SHA-256) in the Store
with a TTL, so every gateway sharing Redis honours it. The local demo's link carries a one-time launch
token in the URL fragment (never sent in a request line, so never in a log); the page trades it for an
admin session and erases it from the address bar. Changes also need the `X-Dashboard` header, which a
cross-site form cannot send, so a forged request fails even where SameSite is not enforced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Literal

from fastapi import Request
from pydantic import BaseModel, Field

from bus.admin.credential import ADMIN_KEY_HEADER, AdminCredential
from bus.errors import AccessDenied, Unauthenticated
from bus.monitoring.access import MonitoringCredential
from bus.store.base import Store

Role = Literal["viewer", "admin"]
SESSION_COOKIE = "lgsp_dashboard"
CHANGE_HEADER = "x-dashboard"
SESSION_PREFIX = "dashboard:session:"


class SignIn(BaseModel):
    """What a page sends to open a session: the launch token, or a credential."""

    launch_token: str | None = Field(None, max_length=256)
    admin_key: str | None = Field(None, max_length=256)
    monitoring_token: str | None = Field(None, max_length=256)


class Session(BaseModel):
    """An open dashboard session as the page sees it."""

    role: Role
    who: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class DashboardAccess:
    """Checks credentials and session cookies; sessions live in `store` for `session_seconds`."""

    def __init__(
        self,
        monitoring: MonitoringCredential,
        admin: AdminCredential,
        store: Store,
        *,
        session_seconds: float,
        launch_token: str | None = None,
    ) -> None:
        self._monitoring = monitoring
        self._admin = admin
        self._store = store
        self._session_seconds = session_seconds
        # Kept only as a digest and forgotten once used: a leaked terminal scroll-back is no key.
        self._launch_digest = _digest(launch_token) if launch_token else None

    async def sign_in(self, wanted: SignIn) -> tuple[str, Session]:
        """A new session id and what it may do; Unauthenticated when the credential is not accepted."""
        session = await self._session_for(wanted)
        session_id = secrets.token_urlsafe(32)
        await self._store.set(
            SESSION_PREFIX + _digest(session_id),
            session.model_dump_json().encode(),
            ttl=self._session_seconds,
        )
        return session_id, session

    async def sign_out(self, session_id: str | None) -> None:
        """Forget the session (a no-op for an unknown one)."""
        if session_id:
            await self._store.delete(SESSION_PREFIX + _digest(session_id))

    async def session(self, request: Request) -> Session:
        """The caller's rights: from an admin key or monitoring token in the headers, else the cookie."""
        found = await self._from_headers(request)
        if found is None:
            found = await self._from_cookie(request.cookies.get(SESSION_COOKIE))
        if found is None:
            raise Unauthenticated(
                "sign in to the dashboard: POST /ui/session, or send a monitoring token or an admin key"
            )
        return found

    async def viewer(self, request: Request) -> Session:
        """FastAPI dependency: any signed-in caller."""
        return await self.session(request)

    async def operator(self, request: Request) -> Session:
        """FastAPI dependency: an admin, on a request a cross-site page could not have made."""
        session = await self.session(request)
        if session.role != "admin":
            raise AccessDenied("fault and load controls need the admin credential")
        if request.headers.get(CHANGE_HEADER) != "1":
            raise AccessDenied(f"a dashboard change must carry the {CHANGE_HEADER!r} header")
        return session

    async def _session_for(self, wanted: SignIn) -> Session:
        if wanted.launch_token is not None:
            if self._launch_digest is not None and hmac.compare_digest(
                _digest(wanted.launch_token), self._launch_digest
            ):
                self._launch_digest = None  # one use
                return Session(role="admin", who="local demo link")
            raise Unauthenticated("this launch link was used already or is not this gateway's")
        if wanted.admin_key:
            if self._admin.matches(wanted.admin_key):
                return Session(role="admin", who="admin")
            raise Unauthenticated("the admin key was not accepted")
        if wanted.monitoring_token:
            if self._monitoring.token_matches(wanted.monitoring_token):
                return Session(role="viewer", who="monitoring")
            raise Unauthenticated("the monitoring token was not accepted")
        raise Unauthenticated("give the launch token, the admin key or a monitoring token")

    async def _from_headers(self, request: Request) -> Session | None:
        key = request.headers.get(ADMIN_KEY_HEADER)
        if key:
            if self._admin.matches(key):
                return Session(role="admin", who="admin")
            raise Unauthenticated(f"the key in {ADMIN_KEY_HEADER!r} was not accepted")
        if request.headers.get("authorization"):
            await self._monitoring(request)  # raises on a token it does not accept
            return Session(role="viewer", who="monitoring")
        return None

    async def _from_cookie(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 128:
            return None
        raw = await self._store.get(SESSION_PREFIX + _digest(session_id))
        if raw is None:
            return None
        return Session.model_validate(json.loads(raw))
