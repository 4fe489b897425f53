"""Mutual TLS, as X-Road's security servers use it: a verified client certificate names the client.

The TLS handshake (uvicorn with `LGSP_HTTP_TLS_CLIENT_CA`) has already refused certificates the CA did
not sign; this middleware maps the certificate's subject to an X-Road client id and holds the call to
it: an `X-Road-Client` naming another client is refused (403), and a call that names none is given
the certificate's, so its API key or bearer token must be that client's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from bus.errors import AccessDenied, ClientError, Unauthenticated
from bus.gateway.access import CLIENT_HEADER
from bus.gateway.limits import send_error

log = logging.getLogger(__name__)

# Paths where the caller acts as a client; elsewhere (admin, monitoring, callbacks) the verified
# certificate is enough.
CLIENT_PATHS = ("/r1/", "/catalog", "/transactions")
_CLIENT_HEADER = CLIENT_HEADER.encode("latin-1")


def certificate_subject(scope: Scope) -> str | None:
    """The verified client certificate's subject (RFC 4514), from the ASGI TLS extension."""
    tls = scope.get("extensions", {}).get("tls") or {}
    name = tls.get("client_cert_name")
    return name if isinstance(name, str) and name else None


class ClientCertificateMiddleware:
    """Refuses calls whose client certificate does not map to the client they act as."""

    def __init__(self, app: ASGIApp, *, client_ids: Mapping[str, str]) -> None:
        self.app = app
        self.client_ids = dict(client_ids)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check (and, when absent, set) the client a call acts as; pass anything else on."""
        if scope["type"] != "http" or not scope["path"].startswith(CLIENT_PATHS):
            await self.app(scope, receive, send)
            return
        try:
            client = self._client_of(scope)
        except ClientError as error:
            await send_error(send, error)
            return
        headers = list(scope["headers"])
        named = [value for name, value in headers if name == _CLIENT_HEADER]
        if not named:
            headers.append((_CLIENT_HEADER, client.encode("latin-1")))
            scope = {**scope, "headers": headers}
        elif any(value.decode("latin-1") != client for value in named):
            log.warning("mutual TLS refused: certificate of %s, X-Road-Client names another", client)
            refused = AccessDenied(f"the client certificate is {client}'s, not the named client's")
            await send_error(send, refused)
            return
        await self.app(scope, receive, send)

    def _client_of(self, scope: Scope) -> str:
        subject = certificate_subject(scope)
        if subject is None:
            raise Unauthenticated("mutual TLS is required: connect with a client certificate")
        client = self.client_ids.get(subject)
        if client is None:
            log.warning("mutual TLS refused: certificate subject %r maps to no client", subject[:200])
            raise AccessDenied("the client certificate is not registered to any client")
        return client
