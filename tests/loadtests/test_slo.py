"""The capacity verdict's arithmetic."""

from __future__ import annotations

import pytest

from loadtests.slo import HAI_PHONG_2023_TX, SECONDS_PER_YEAR, Slo, StageFigures, judge


def stage(label: str, achieved: float, p99: float, requests: int = 1000, failures: int = 0) -> StageFigures:
    return StageFigures(
        label=label, target_tx_s=achieved, seconds=10, requests=requests, failures=failures,
        achieved_tx_s=achieved, p50_ms=p99 / 3, p95_ms=p99 / 2, p99_ms=p99,
    )  # fmt: skip


def test_sustained_rate_is_the_best_stage_meeting_the_slo() -> None:
    stages = [stage("10", 10, 50), stage("50", 49.5, 300), stage("100", 97, 1500)]
    verdict = judge(stages, Slo(p99_ms=1000), required_tx_s=7)
    assert verdict.sustained_tx_s == 49.5
    assert verdict.sustained_stage == "50"
    assert verdict.passed


def test_yearly_figures_follow_from_the_sustained_rate() -> None:
    verdict = judge([stage("a", 20, 100)], Slo(), required_tx_s=0)
    assert verdict.tx_per_year == 20 * SECONDS_PER_YEAR
    assert verdict.hai_phong_multiple == pytest.approx(20 * 31_536_000 / HAI_PHONG_2023_TX)
    assert "12.6× Hải Phòng" in verdict.line()


def test_error_ratio_above_a_tenth_of_a_percent_disqualifies_a_stage() -> None:
    within = stage("within", 30, 100, requests=10_000, failures=10)
    beyond = stage("beyond", 60, 100, requests=10_000, failures=11)
    verdict = judge([within, beyond], Slo(max_error_ratio=0.001), required_tx_s=7)
    assert verdict.sustained_stage == "within"


def test_verdict_fails_when_no_stage_meets_the_slo() -> None:
    verdict = judge([stage("slow", 100, 2000)], Slo(p99_ms=1000), required_tx_s=7)
    assert verdict.sustained_tx_s == 0 and not verdict.passed
    assert verdict.line().startswith("FAIL")


def test_verdict_fails_below_the_required_rate_even_within_slo() -> None:
    verdict = judge([stage("tiny", 3, 10)], Slo(), required_tx_s=7)
    assert verdict.sustained_tx_s == 3 and not verdict.passed


def test_a_stage_without_requests_never_meets_the_slo() -> None:
    assert not stage("empty", 0, 0, requests=0).meets(Slo())


def test_verdict_names_the_judged_sample_and_warns_when_it_is_too_small_for_a_p99() -> None:
    large = judge([stage("50 tx/s", 50, 100, requests=1250)], Slo(), required_tx_s=7).line()
    small = judge([stage("Monday 08:30", 26.4, 900, requests=33)], Slo(), required_tx_s=7).line()
    assert "(stage 50 tx/s: 1250 requests in 10 s)" in large and "lengthen --seconds" not in large
    assert "(stage Monday 08:30: 33 requests in 10 s)" in small and "lengthen --seconds" in small
