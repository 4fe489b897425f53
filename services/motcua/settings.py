"""Settings of the provincial one-stop dossier system mock (environment prefix LGSP_MOTCUA_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.faults import Latency


class MotcuaSettings(BaseSettings):
    """How dossiers move, and how their progress is reported to the portal through the LGSP gateway."""

    model_config = SettingsConfigDict(env_prefix="LGSP_MOTCUA_")

    gateway_url: str | None = Field(
        "http://127.0.0.1:8000", description="base URL of the LGSP gateway; empty or null: report nothing"
    )
    client_id: str = "VN/GOV/HPG/MOTCUA"
    api_key: SecretStr = SecretStr("motcua-demo-key")
    progress_service: str = "VN/GOV/DVCQG/PORTAL/CapNhatTienDoHoSoMC/v1"
    province_code: str = Field("031", pattern=r"^[0-9]{3}$")
    seed: int = 2025
    clock_speed: float = Field(1.0, gt=0, le=1_000_000)
    not_accepted_rate: float = Field(0.02, ge=0, le=1, description="dossiers refused at reception (3)")
    supplement_rate: float = Field(0.05, ge=0, le=1, description="dossiers asked for more papers (5)")
    abandon_rate: float = Field(
        0.0, ge=0, le=1, description="of those, never supplied: stopped (8) after 7 working days"
    )
    default_working_days: int = Field(
        3,
        ge=0,
        le=60,
        description="time to settle a dossier that names neither ngayHenTra nor soNgayGiaiQuyet",
    )
    max_dossiers: int = Field(200_000, ge=1, description="dossiers kept; the oldest are forgotten first")
    latency: Latency = Field(default_factory=lambda: Latency.lognormal(80, 600, max_ms=3_000))
    report_scan_interval_s: float = Field(1.0, gt=0, le=60)
    report_queue_size: int = Field(10_000, ge=1)
    report_concurrency: int = Field(4, ge=1, le=64, description="dossiers reported at once (each in order)")
    report_attempts: int = Field(4, ge=1, le=20)
    report_backoff_s: float = Field(0.5, ge=0, le=60)
    report_timeout_s: float = Field(10.0, gt=0, le=120)
    report_park_s: float = Field(30.0, gt=0, description="real seconds before a dossier whose report kept "
                                 "failing is tried again")  # fmt: skip
