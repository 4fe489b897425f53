"""Settings of the payment platform mock (env prefix `LGSP_PAYMENT_`)."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, HttpUrl, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.faults import Latency

DEFAULT_PARTNER = "HPG_LGSP"


class PartnerConfig(BaseModel):
    """One partner (MaDoiTac) of the platform: its shared secret and where confirmations go."""

    secret: str = Field(min_length=8)
    callback_url: HttpUrl | None = None


def _default_partners() -> dict[str, PartnerConfig]:
    return {DEFAULT_PARTNER: PartnerConfig(secret="hpg-lgsp-paygov-shared-secret")}


class PaymentSettings(BaseSettings):
    """How the payment platform behaves; every wait is multiplied by `time_scale` (0.01 = 100× faster).

    Partners come as JSON, keeping the case of their codes:
    `LGSP_PAYMENT_PARTNERS='{"HPG_LGSP": {"secret": "...", "callback_url": "http://127.0.0.1:9000/ipn"}}'`.
    """

    model_config = SettingsConfigDict(env_prefix="LGSP_PAYMENT_")

    partners: dict[str, PartnerConfig] = Field(
        default_factory=_default_partners,
        min_length=1,
        description="partner code → {secret, callback_url} (JSON)",
    )
    public_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8103"), description="base URL of the payer page it hands out"
    )
    # Initiate answers in 200–600 ms on the real platform.
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(300, 600, max_ms=2_000),
        description="answer latency of initiate (JSON Latency)",
    )
    confirm_delay_min_s: float = Field(
        default=2.0, ge=0, description="shortest wait before a payment is confirmed (s)"
    )
    confirm_delay_max_s: float = Field(
        default=60.0, ge=0, description="longest wait before a payment is confirmed (s)"
    )
    time_scale: float = Field(default=1.0, gt=0, description="multiplies every wait (0.01 = 100x faster)")
    lost_callback_rate: float = Field(
        default=0.02, ge=0, le=1, description="share of confirmations never sent"
    )
    stay_pending_rate: float = Field(
        default=0.005, ge=0, le=1, description="share of payments that stay pending"
    )
    callback_attempts: int = Field(default=4, ge=1, le=20, description="POSTs of one confirmation")
    callback_backoff_s: float = Field(
        default=1.0, ge=0, description="first pause between confirmation attempts (s)"
    )
    callback_timeout_s: float = Field(default=5.0, gt=0, description="time-out of one confirmation POST (s)")
    max_scheduled_callbacks: int = Field(default=10_000, ge=1, description="confirmations waiting at most")
    seed: int | None = Field(None, description="seed of its random draws; unset: random")

    @model_validator(mode="after")
    def _delay_range_is_ordered(self) -> Self:
        if self.confirm_delay_min_s > self.confirm_delay_max_s:
            raise ValueError("confirm_delay_min_s must not exceed confirm_delay_max_s")
        return self
