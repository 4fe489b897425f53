"""Mocks that wait in real seconds (the payment platform's confirmations) wait their share of a compressed
simulated day on `lgsp run`, unless their own settings say otherwise."""

from __future__ import annotations

import pytest

from lgsp.embedded import mock_apps
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


def test_the_payment_pages_link_follows_the_port_lgsp_run_serves_the_platform_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A load run moves every mock to a free port (`--mock-port`): the link the platform hands out, which
    the portal's citizens pay on, must name that port, not the platform's default 8103 (nobody paid)."""
    monkeypatch.delenv("LGSP_PAYMENT_PUBLIC_URL", raising=False)
    (served,) = mock_apps(["payment"], "127.0.0.1", 8000, False, {"payment": 18321})
    assert (served.port, str(served.app.state.platform.settings.public_url)) == (
        18321,
        "http://127.0.0.1:18321/",
    )
    default = MOCKS["payment"].build(population=None, latency=False)
    assert str(default.state.platform.settings.public_url) == "http://127.0.0.1:8103/"
    monkeypatch.setenv("LGSP_PAYMENT_PUBLIC_URL", "https://pay.example.vn")  # its own setting wins
    (named,) = mock_apps(["payment"], "127.0.0.1", 8000, False, {"payment": 18321})
    assert str(named.app.state.platform.settings.public_url) == "https://pay.example.vn/"
