"""Settings of the VNPost mock (env prefix `LGSP_VNPOST_`)."""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.faults import Latency


def _default_clients() -> dict[str, SecretStr]:
    return {"HPG_LGSP": SecretStr("hpg-lgsp-vnpost-client-secret")}


class VnpostSettings(BaseSettings):
    """How the VNPost mock behaves. Clients come as JSON: `LGSP_VNPOST_CLIENTS='{"ID": "secret"}'`."""

    model_config = SettingsConfigDict(env_prefix="LGSP_VNPOST_")

    clients: dict[str, SecretStr] = Field(
        default_factory=_default_clients, min_length=1, description="client id → OAuth2 client secret"
    )
    token_ttl_s: float = Field(default=3600.0, gt=0, description="lifetime of an OAuth2 token (s)")
    clock_speed: float = Field(
        default=1.0, gt=0, le=1_000_000, description="simulated seconds per real second"
    )
    seed: int = Field(2024, description="seed of parcel journeys")
    failed_attempt_rate: float = Field(
        default=0.06, ge=0, le=1, description="share of parcels with a failed delivery attempt"
    )
    return_rate: float = Field(default=0.02, ge=0, le=1, description="share of parcels returned to sender")
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(150, 1200, max_ms=5_000),
        description="answer latency (JSON Latency)",
    )
    webhook_url: HttpUrl | None = Field(None, description="where status changes are POSTed; unset: none sent")
    # Each webhook carries X-VNPost-Signature: sha256=<HMAC-SHA256 of the raw body with this secret>.
    webhook_secret: SecretStr = Field(
        SecretStr("vnpost-webhook-demo-secret"), description="HMAC-SHA256 key of X-VNPost-Signature"
    )
    webhook_scan_interval_s: float = Field(
        default=1.0, gt=0, description="real seconds between scans for status changes"
    )
    webhook_queue_size: int = Field(default=10_000, ge=1, description="status changes waiting at most")
    webhook_attempts: int = Field(default=3, ge=1, le=20, description="POSTs of one status change")
    webhook_backoff_s: float = Field(
        default=0.5, ge=0, description="first pause between webhook attempts (s)"
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="time-out of one webhook POST (s)")
