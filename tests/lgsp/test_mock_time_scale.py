"""Mocks that wait in real seconds (the payment platform's confirmations) wait their share of a compressed
simulated day on `lgsp run`, unless their own settings say otherwise."""

from __future__ import annotations

import pytest

from lgsp.journey_runtime import wall_seconds_per_simulated_second
from services.registry import MOCKS


def test_the_compressed_clock_of_lgsp_run_makes_an_office_second_last_its_share_of_a_working_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LGSP_CLOCK_MODE", raising=False)
    monkeypatch.setenv("LGSP_CLOCK_WORKING_DAY_SECONDS", "8")
    assert wall_seconds_per_simulated_second(compressed_by_default=True) == pytest.approx(8 / (8 * 3600))
    assert wall_seconds_per_simulated_second(compressed_by_default=False) == 1.0
    monkeypatch.setenv("LGSP_CLOCK_MODE", "scaled")
    monkeypatch.setenv("LGSP_CLOCK_FACTOR", "120")
    assert wall_seconds_per_simulated_second(compressed_by_default=True) == pytest.approx(1 / 120)


def test_the_payment_platform_scales_its_waits_unless_its_own_setting_names_a_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LGSP_PAYMENT_TIME_SCALE", raising=False)
    app = MOCKS["payment"].build(population=None, latency=False, time_scale=0.001)
    assert app.state.platform.settings.time_scale == 0.001
    monkeypatch.setenv("LGSP_PAYMENT_TIME_SCALE", "0.5")
    app = MOCKS["payment"].build(population=None, latency=False, time_scale=0.001)
    assert app.state.platform.settings.time_scale == 0.5
