"""How every HTTP server of the bus takes connections in: read time-outs, a connection bound, TLS.

`server_config` is the uvicorn configuration of the gateway, the mocks and `lgsp gateway`, built from
`HttpIntakeSettings` with `BoundedHttpProtocol`.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import uvicorn

from bus.http_intake.protocol import BoundedHttpProtocol, subject_name
from bus.http_intake.settings import HttpIntakeSettings

__all__ = ["BoundedHttpProtocol", "HttpIntakeSettings", "server_config", "subject_name"]


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
