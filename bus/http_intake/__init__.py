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

__all__ = ["BoundedHttpProtocol", "HttpIntakeSettings", "server_config", "server_options", "subject_name"]


def server_config(
    app: Any, host: str, port: int, *, settings: HttpIntakeSettings | None = None, log_level: str = "warning"
) -> uvicorn.Config:
    """The uvicorn configuration every server of the bus runs with."""
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, **server_options(settings))


def server_options(settings: HttpIntakeSettings | None = None) -> dict[str, Any]:
    """uvicorn's options for `settings` (read from the environment when not given): the bounded
    protocol, keep-alive, the connection bound, the shutdown grace, TLS; for `uvicorn.Config` or
    `uvicorn.run`."""
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
    return {
        "http": protocol,
        "lifespan": "on",
        "access_log": False,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
        "timeout_graceful_shutdown": settings.shutdown_grace,
        **tls,
    }


def _path(path: Path | None) -> str | None:
    return None if path is None else str(path)
