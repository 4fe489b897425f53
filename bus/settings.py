"""Process-wide settings of the bus, from `LGSP_*` environment variables or a `.env` file."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bus.broker_urls import split_amqp_urls

EMBEDDED_STORE_URL = "memory://lgsp"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _default_worker_name() -> str:
    """This host's name and process id, as in host-1234."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _require_scheme(url: str | None, schemes: tuple[str, ...], field: str) -> str | None:
    # An empty variable (LGSP_REDIS_URL=) means "not set", i.e. the memory implementation.
    if url is None or not url.strip():
        return None
    parts = urlparse(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{field} must look like {schemes[0]}://host[:port]/..., got {url!r}")
    return url


class BusSettings(BaseSettings):
    """Where the bus finds its broker, store and catalog, and the limits it enforces."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    amqp_url: str | None = Field(
        default=None,
        description="RabbitMQ URL, or a cluster's node URLs comma-separated (on a connection loss the "
        "transport moves to the next); unset: the in-memory transport (one process)",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL of shared state; unset: this process's memory store"
    )
    catalog: Path | None = Field(
        default=None, description="catalog YAML; unset: the packaged default (lgsp/default_catalog.yaml)"
    )
    worker_name: str = Field(
        default_factory=_default_worker_name,
        min_length=1,
        description="this process's name in logs and broker connection names",
    )
    log_level: LogLevel = Field(default="INFO", description="logging level of lgsp processes")
    delivery_limit: int = Field(
        default=5, ge=1, description="deliveries of a message before it is dead-lettered"
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="largest request body the gateway accepts (bytes); more: 413"
    )
    adapter_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per adapter, config keys replacing the catalog's (a deployment's provider URLs)",
    )

    @field_validator("amqp_url")
    @classmethod
    def _amqp_urls(cls, urls: str | None) -> str | None:
        if urls is None or not urls.strip():
            return None
        return ",".join(split_amqp_urls(urls))

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str | None) -> str | None:
        return _require_scheme(url, ("redis", "rediss"), "redis_url")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, level: object) -> object:
        return level.upper() if isinstance(level, str) else level

    @property
    def store_url(self) -> str:
        """Where shared state lives: Redis when configured, else this process's shared memory store."""
        return self.redis_url or EMBEDDED_STORE_URL

    @property
    def bus_values(self) -> dict[str, str]:
        """Values an adapter's catalog section may name as `${bus.NAME}`."""
        return {"store_url": self.store_url}
