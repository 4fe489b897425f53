"""Settings of the VNPost mock (env prefix `LGSP_VNPOST_`)."""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.faults import Latency


def _default_clients() -> dict[str, str]:
    return {"HPG_LGSP": "hpg-lgsp-vnpost-client-secret"}


class VnpostSettings(BaseSettings):
    """How the VNPost mock behaves. Clients come as JSON: `LGSP_VNPOST_CLIENTS='{"ID": "secret"}'`."""

    model_config = SettingsConfigDict(env_prefix="LGSP_VNPOST_")

    clients: dict[str, str] = Field(default_factory=_default_clients, min_length=1)
    token_ttl_s: float = Field(default=3600.0, gt=0)
    clock_speed: float = Field(default=1.0, gt=0, le=1_000_000)
    seed: int = 2024
    failed_attempt_rate: float = Field(default=0.06, ge=0, le=1)
    return_rate: float = Field(default=0.02, ge=0, le=1)
    latency: Latency = Field(default_factory=lambda: Latency.lognormal(150, 1200, max_ms=5_000))
    webhook_url: HttpUrl | None = None
    # Each webhook carries X-VNPost-Signature: sha256=<HMAC-SHA256 of the raw body with this secret>.
    webhook_secret: SecretStr = SecretStr("vnpost-webhook-demo-secret")
    webhook_scan_interval_s: float = Field(default=1.0, gt=0)
    webhook_queue_size: int = Field(default=10_000, ge=1)
    webhook_attempts: int = Field(default=3, ge=1, le=20)
    webhook_backoff_s: float = Field(default=0.5, ge=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
