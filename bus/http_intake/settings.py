"""`LGSP_HTTP_*`: read time-outs, the connection bound and TLS of the bus's HTTP servers."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    shutdown_grace: float = Field(
        30.0,
        gt=0,
        le=600,
        description="s requests in progress get to finish at shutdown, then cancelled",
    )
    tls_certfile: Path | None = Field(None, description="PEM certificate (chain): serve HTTPS")
    tls_keyfile: Path | None = Field(None, description="PEM private key of tls_certfile")
    tls_client_ca: Path | None = Field(
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
        for name in ("tls_certfile", "tls_keyfile", "tls_client_ca"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"LGSP_HTTP_{name.upper()}: no file at {path}")
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
