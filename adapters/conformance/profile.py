"""What an adapter tells the conformance kit: its provider, its config, sample requests and secrets.

The kit finds an adapter's profile, in this order: `--profile module:function` on the command line; a
`conformance_profile() -> ConformanceProfile` in the factory's module; a function registered under the
adapter's name in the `lgsp.conformance` entry-point group (so that a profile may import the provider's
mock without the adapter's package importing it). `--mock/--config/--samples` override its parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.types import ASGIApp

ProviderFactory = Callable[[], ASGIApp]


class Sample(BaseModel):
    """One request the adapter must answer successfully against its provider."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(description="full service id, e.g. VN/GOV/BTP/HOTICH/DangKyKhaiSinh/v1")
    payload: JsonValue = None
    method: str = "POST"
    path: str = ""
    user_id: str | None = "CB-CONFORMANCE"


@dataclass(frozen=True)
class ConformanceProfile:
    """How to check one adapter.

    provider     builds the provider's ASGI app (a built-in mock via `lgsp.mock_provider`, or your own stub);
                 None for adapters that call nobody. Fault checks need its `/_control/faults` API
                 (`services.faults.install_faults`); the idempotency check uses `/_control/effects` if any.
    config       the adapter's catalog section; the provider's URL is put under `url_key`.
    samples      requests that must succeed; the first one is reused by the fault and header checks,
                 so make it one that may be sent many times.
    secrets      strings (API keys, client secrets) that must never appear in a log line.
    """

    provider: ProviderFactory | None
    config: dict[str, Any] = field(default_factory=dict)
    samples: tuple[Sample, ...] = ()
    large_sample: Sample | None = None
    secrets: tuple[str, ...] = ()
    soap: bool = False
    url_key: str = "base_url"

    def with_overrides(
        self,
        *,
        provider: ProviderFactory | None = None,
        config: dict[str, Any] | None = None,
        samples: tuple[Sample, ...] | None = None,
    ) -> ConformanceProfile:
        """A copy with the given parts replaced (the command line's --mock, --config, --samples)."""
        return replace(
            self,
            provider=provider if provider is not None else self.provider,
            config={**self.config, **(config or {})},
            samples=samples if samples is not None else self.samples,
        )
