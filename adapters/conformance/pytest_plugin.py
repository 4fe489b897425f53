"""The conformance kit inside your own test suite.

# conftest.py
pytest_plugins = ["adapters.conformance.pytest_plugin"]

# test_my_adapter.py
async def test_my_adapter_is_conformant(conformance):
    report = await conformance("my_pkg.adapter:create_adapter")
    assert report.ok, report.failed()
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.conformance.profile import ConformanceProfile
from adapters.conformance.report import ConformanceReport
from adapters.conformance.runner import check_target

RunConformance = Callable[..., Awaitable[ConformanceReport]]


@pytest.fixture
def conformance() -> RunConformance:
    """An async function: `await conformance(target, profile=None, **overrides)` → ConformanceReport."""

    async def run(
        target: str, profile: ConformanceProfile | None = None, **overrides: Any
    ) -> ConformanceReport:
        return await check_target(target, profile=profile, overrides=overrides or None)

    return run
