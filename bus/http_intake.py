"""How every HTTP server of the bus takes connections in: read time-outs, a connection bound, TLS.

uvicorn (0.55, httptools) arms no timer on a fresh connection and none while a request is read: a
caller sending nothing, half its headers or part of a body keeps its socket (and, once the headers
are in, one of the gateway's in-flight slots) for as long as it likes. `BoundedHttpProtocol` closes
such a connection when `header_timeout` passes before the headers are complete, or `body_timeout`
before the body is; the app then sees `http.disconnect`. It also hands the app the verified client
certificate's subject (the ASGI TLS extension, which uvicorn does not fill), for mutual TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import Field, FilePath, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


class HttpIntakeSettings(BaseSettings):
    """Time-outs, the connection bound and TLS of the bus's HTTP servers (`LGSP_HTTP_*`)."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_HTTP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    header_timeout: float = Field(10.0, gt=0, le=300, description="s from connecting to complete headers")
    body_timeout: float = Field(30.0, gt=0, le=600, description="s from complete headers to complete body")
    keep_alive_timeout: int = Field(5, ge=1, le=300, description="s an idle kept-alive connection stays open")
    max_connections: int = Field(
        2048, ge=1, description="connections plus requests in progress at once; past it uvicorn answers 503"
    )
    tls_certfile: FilePath | None = Field(None, description="PEM certificate (chain): serve HTTPS")
    tls_keyfile: FilePath | None = Field(None, description="PEM private key of tls_certfile")
    tls_client_ca: FilePath | None = Field(
        None, description="PEM CA bundle: require client certificates it signed (mutual TLS)"
    )
    tls_client_ids: dict[str, str] = Field(
        default_factory=dict,
        description="client certificate subject (RFC 4514, e.g. 'CN=stp.hpg,O=STP') → X-Road client id",
    )

    @model_validator(mode="after")
    def _tls_is_whole(self) -> HttpIntakeSettings:
        if (self.tls_keyfile or self.tls_client_ca) and not self.tls_certfile:
            raise ValueError("LGSP_HTTP_TLS_KEYFILE and _CLIENT_CA need LGSP_HTTP_TLS_CERTFILE")
        if self.tls_client_ids and not self.tls_client_ca:
            raise ValueError("LGSP_HTTP_TLS_CLIENT_IDS needs LGSP_HTTP_TLS_CLIENT_CA (mutual TLS)")
        return self

    @property
    def scheme(self) -> str:
        """`https` when a certificate is configured, else `http`."""
        return "https" if self.tls_certfile else "http"

    def without_tls(self) -> HttpIntakeSettings:
        """The same limits over plain HTTP."""
        return self.model_copy(
            update={"tls_certfile": None, "tls_keyfile": None, "tls_client_ca": None, "tls_client_ids": {}}
        )


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
        self._tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header clock: a connection that sends nothing is closed too."""
        super().connection_made(transport)
        self._arm(self.header_timeout)
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
            self._arm(self.header_timeout)
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]  # ASGI TLS extension

    def on_headers_complete(self) -> None:
        """The headers are in: the body must be complete within `body_timeout`."""
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is read in full: no read clock while the app answers."""
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
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
            self.transport.close()


def server_config(
    app: Any, host: str, port: int, *, settings: HttpIntakeSettings | None = None, log_level: str = "warning"
) -> uvicorn.Config:
    """The uvicorn configuration every server of the bus runs with."""
    settings = HttpIntakeSettings() if settings is None else settings
    protocol = type(
        "ConfiguredHttpProtocol",
        (BoundedHttpProtocol,),
        {"header_timeout": settings.header_timeout, "body_timeout": settings.body_timeout},
    )
    tls: dict[str, Any] = {}
    if settings.tls_certfile is not None:
        tls = {"ssl_certfile": str(settings.tls_certfile), "ssl_keyfile": _path(settings.tls_keyfile)}
    if settings.tls_client_ca is not None:
        tls |= {"ssl_ca_certs": str(settings.tls_client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        log_level=log_level,
        lifespan="on",
        access_log=False,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        **tls,
    )


def _path(path: Path | None) -> str | None:
    return None if path is None else str(path)
