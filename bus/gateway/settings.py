"""The gateway's address and its own limits: back-pressure, idempotency, async requests (`LGSP_GATEWAY_*`)."""

from __future__ import annotations

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Where the gateway listens, what it takes on at once, how long it keeps answers and transactions."""

    model_config = SettingsConfigDict(
        env_prefix="LGSP_GATEWAY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # The image sets LGSP_GATEWAY_HOST=0.0.0.0: inside a container the loopback default is unreachable.
    host: str = Field("127.0.0.1", min_length=1, description="address `lgsp gateway` and `lgsp run` bind")
    port: int = Field(8000, ge=1, le=65535, description="port `lgsp gateway` and `lgsp run` listen on")
    max_in_flight: int = Field(256, ge=1, description="calls one gateway serves at once; more get 503")
    max_in_flight_per_client: int | None = Field(
        None, ge=1, description="of those, calls one client may hold (more get 429); unset: half"
    )
    overload_retry_after: float = Field(1.0, gt=0, description="Retry-After (s) sent with a 503")
    idempotency_ttl: float = Field(86_400.0, gt=0, description="how long an idempotent answer is kept (s)")
    idempotency_poll_seconds: float = Field(0.05, gt=0, le=5, description="how often a duplicate looks again")
    idempotency_lease_margin: float = Field(
        5.0, gt=0, description="a silent in-flight key is free this long after its wait ends (s)"
    )
    transaction_ttl: float = Field(86_400.0, gt=0, description="how long an async transaction is kept (s)")
    callback_attempts: int = Field(3, ge=1, le=10, description="POSTs of a result to a callback URL")
    callback_timeout: float = Field(5.0, gt=0, le=60, description="time-out of one callback POST (s)")
    callback_backoff: float = Field(0.5, ge=0, le=60, description="first pause between callback attempts (s)")
    callback_allowed_networks: tuple[IPvAnyNetwork, ...] = Field(
        (), description="private/loopback networks callbacks may still reach, e.g. '[\"127.0.0.0/8\"]'"
    )
    drain_seconds: float = Field(10.0, ge=0, description="how long shutdown waits for async calls (s)")


def bind_address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """Where the gateway listens: `host` and `port` when given (the command line), else the settings'."""
    settings = GatewaySettings()
    return (settings.host if host is None else host, settings.port if port is None else port)
