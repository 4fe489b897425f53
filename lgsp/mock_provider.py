"""A built-in mock national system as the provider of a conformance check (`--mock NAME`)."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from adapters.conformance.profile import ProviderFactory
from services.registry import MOCKS, without_latency


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
