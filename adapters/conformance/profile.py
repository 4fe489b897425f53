"""What an adapter tells the conformance kit: its provider, its config, sample requests and secrets.

An adapter's module offers `conformance_profile() -> ConformanceProfile`; the kit finds it next to the
factory (or is given `--profile module:function`, or `--mock/--config/--samples` on the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.types import ASGIApp

from services.registry import MOCKS, without_latency

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

    provider     builds the provider's ASGI app (a built-in mock via `mock_provider`, or your own stub);
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


def mock_provider(name: str, **kwargs: Any) -> ProviderFactory:
    """A factory for the built-in mock `name` (services.registry.MOCKS) without simulated latency.

    `kwargs` go to the mock's own `create_app` (e.g. `population=`, `settings=`).
    """
    if name not in MOCKS:
        raise ValueError(f"unknown mock {name!r}; known: {', '.join(sorted(MOCKS))}")

    def build() -> ASGIApp:
        app = MOCKS[name].create(**kwargs)
        without_latency(app)
        return app

    return build
