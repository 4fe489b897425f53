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
    client_id: str = Field("VN/GOV/HPG/MOTCUA", description="client id it calls the gateway as")
    api_key: SecretStr = Field(SecretStr("motcua-demo-key"), description="API key it calls the gateway with")
    progress_service: str = Field(
        "VN/GOV/DVCQG/PORTAL/CapNhatTienDoHoSoMC/v1",
        description="service id its progress reports are sent to",
    )
    province_code: str = Field("031", pattern=r"^[0-9]{3}$", description="province of the dossiers")
    seed: int = Field(2025, description="seed of dossier outcomes and timings")
    clock_speed: float = Field(1.0, gt=0, le=1_000_000, description="simulated seconds per real second")
    not_accepted_rate: float = Field(0.02, ge=0, le=1, description="dossiers refused at reception (3)")
    supplement_rate: float = Field(0.05, ge=0, le=1, description="dossiers asked for more papers (5)")
    refusal_rate: float = Field(
        0.03, ge=0, le=1, description="dossiers handed over for decision (4) that the officers refuse (8)"
    )
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
    latency: Latency = Field(
        default_factory=lambda: Latency.lognormal(80, 600, max_ms=3_000),
        description="answer latency (JSON Latency: kind, p50_ms, p99_ms, max_ms)",
    )
    report_scan_interval_s: float = Field(
        1.0, gt=0, le=60, description="real seconds between scans for progress to report"
    )
    report_queue_size: int = Field(10_000, ge=1, description="progress reports waiting at most")
    report_concurrency: int = Field(4, ge=1, le=64, description="dossiers reported at once (each in order)")
    report_attempts: int = Field(4, ge=1, le=20, description="attempts of one progress report")
    report_backoff_s: float = Field(0.5, ge=0, le=60, description="first pause between report attempts (s)")
    report_timeout_s: float = Field(10.0, gt=0, le=120, description="time-out of one report call (s)")
    report_park_s: float = Field(30.0, gt=0, description="real seconds before a dossier whose report kept "
                                 "failing is tried again")  # fmt: skip
