"""uvicorn's httptools protocol with read time-outs and the ASGI TLS extension.

uvicorn (0.55, httptools) arms no timer on a fresh connection and none while a request is read: a
caller sending nothing, half its headers or part of a body keeps its socket (and, once the headers
are in, one of the gateway's in-flight slots) for as long as it likes. `BoundedHttpProtocol` closes
such a connection when `header_timeout` passes before the headers are complete, or `body_timeout`
before the body is; the app then sees `http.disconnect`. It also hands the app the verified client
certificate's subject (the ASGI TLS extension, which uvicorn does not fill), for mutual TLS. Its
writes go through a CoalescingTransport, so a response's head and body leave in one write.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bus.coalesced_writes import CoalescingTransport
from bus.monitoring.intake import BODY_TIMEOUT, HEADER_TIMEOUT, INTAKE_CLOSES

# RFC 4514 short names of the attributes a client certificate's subject usually carries.
_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "domainComponent": "DC",
    "userId": "UID",
}


def subject_name(certificate: dict[str, Any]) -> str:
    """A peer certificate's subject (as `SSLSocket.getpeercert()` gives it) in RFC 4514 form."""
    parts = []
    for rdn in reversed(certificate.get("subject", ())):
        for name, value in rdn:
            escaped = "".join(f"\\{c}" if c in ',+"\\<>;=' else c for c in str(value))
            parts.append(f"{_SHORT_NAMES.get(name, name)}={escaped}")
    return ",".join(parts)


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body read time-outs and the ASGI TLS extension."""

    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._reading = HEADER_TIMEOUT  # what the armed clock waits for, named as INTAKE_CLOSES counts it
        self._tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header clock: a connection that sends nothing is closed too."""
        super().connection_made(CoalescingTransport(transport, self.loop))
        self._arm(self.header_timeout, HEADER_TIMEOUT)
        ssl_object = transport.get_extra_info("ssl_object")
        if isinstance(ssl_object, ssl.SSLObject):
            peer = ssl_object.getpeercert()
            self._tls = {
                "server_cert": None,
                "client_cert_chain": [],
                "client_cert_name": subject_name(peer) if peer else None,
                "client_cert_error": None,
                "tls_version": None,
                "cipher_suite": None,
            }

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A request's first byte: its headers must be complete within `header_timeout`."""
        super().on_message_begin()
        if self._read_timer is None:
            self._arm(self.header_timeout, HEADER_TIMEOUT)
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]  # ASGI TLS extension

    def on_headers_complete(self) -> None:
        """The headers are in: the body must be complete within `body_timeout`."""
        self._arm(self.body_timeout, BODY_TIMEOUT)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is read in full: no read clock while the app answers."""
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float, reading: str) -> None:
        self._disarm()
        self._reading = reading
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            # INFO: under a slowloris attack this is one line per connection; a cut-off body is also
            # a transaction (Client.RequestIncomplete), recorded, counted and logged as a warning.
            self.logger.info("closing a connection that did not send its request in time: %s", self.client)
            INTAKE_CLOSES.labels(reason=self._reading).inc()
            self.transport.close()
