"""Fault profile, latency distribution, token bucket and the injector's seeded decisions (no HTTP)."""

from __future__ import annotations

import re
import statistics

import pytest
from pydantic import ValidationError

from services.faults import FaultInjector, FaultProfile, Latency
from services.faults.rate_limit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("none", Latency()),
        ("fixed:25", Latency.fixed(25)),
        ("lognormal:150:3000", Latency.lognormal(150, 3000)),
    ],
)
def test_latency_spec_parses_each_kind(spec: str, expected: Latency) -> None:
    assert Latency.from_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lognormal:abc", "lognormal needs P50:P99 in ms, got 'lognormal:abc'"),
        ("lognormal:10", "lognormal needs P50:P99 in ms, got 'lognormal:10'"),
        ("fixed:", "fixed needs MS in ms, got 'fixed:'"),
        ("fixed:1:2", "fixed needs MS in ms, got 'fixed:1:2'"),
        ("gaussian:5", "latency must be none, fixed:MS or lognormal:P50:P99 (ms), got 'gaussian:5'"),
        ("lognormal:500:100", "p99_ms (100.0) must not be below p50_ms (500.0)"),
        ("fixed:-3", "greater than or equal to 0"),
    ],
)
def test_bad_latency_spec_is_refused_with_a_message_naming_it(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Latency.from_spec(spec)


def test_lognormal_parameters_follow_p50_and_p99() -> None:
    latency = Latency.lognormal(10, 100)
    assert latency.mu == pytest.approx(2.302585, rel=1e-5)
    assert latency.sigma == pytest.approx(2.302585 / 2.326, rel=1e-5)


def test_lognormal_samples_have_roughly_the_asked_median_and_p99() -> None:
    latency = Latency.lognormal(10, 100)
    injector = FaultInjector("dist", FaultProfile(latency=latency, seed=3))
    samples = sorted(injector.plan().delay_ms for _ in range(4000))
    assert statistics.median(samples) == pytest.approx(10, rel=0.1)
    assert samples[int(0.99 * len(samples))] == pytest.approx(100, rel=0.3)


def test_latency_is_capped_by_max_ms() -> None:
    latency = Latency(kind="lognormal", p50_ms=100.0, p99_ms=5000.0, max_ms=200.0)
    assert latency.delay_ms(0.999999) == 200.0
    assert Latency(kind="fixed", ms=900.0, max_ms=50.0).delay_ms(0.5) == 50.0


@pytest.mark.parametrize(
    "fields",
    [
        {"error_rate": 1.5},
        {"error_rate": "0.5"},
        {"error_status": 200},
        {"error_status": 600},
        {"rate_limit_per_second": 0},
        {"hang_seconds": 0},
        {"surprise": True},
        {"latency": {"kind": "fixed"}},
        {"latency": {"kind": "lognormal", "p50_ms": 10.0}},
    ],
)
def test_invalid_profile_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FaultProfile.model_validate(fields)


def test_token_bucket_grants_its_capacity_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock)
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0.0


def test_slow_token_bucket_allows_one_request_then_asks_for_the_full_period() -> None:
    bucket = TokenBucket(0.5, FakeClock())
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(2.0)


def test_same_seed_gives_the_same_fault_sequence_and_another_seed_does_not() -> None:
    profile = FaultProfile(
        error_rate=0.3, timeout_rate=0.1, malformed_rate=0.2, latency=Latency.lognormal(5, 50), seed=42
    )
    injector = FaultInjector("seq", profile)
    first = [injector.plan() for _ in range(50)]
    injector.set_profile(profile)
    assert [injector.plan() for _ in range(50)] == first
    injector.set_profile(profile.model_copy(update={"seed": 43}))
    assert [injector.plan() for _ in range(50)] != first


def test_rates_are_roughly_honoured() -> None:
    injector = FaultInjector("rates", FaultProfile(error_rate=0.2, timeout_rate=0.05, seed=9))
    plans = [injector.plan() for _ in range(2000)]
    assert sum(plan.error for plan in plans) / 2000 == pytest.approx(0.2, abs=0.04)
    assert sum(plan.hang for plan in plans) / 2000 == pytest.approx(0.05, abs=0.02)


def test_lost_callbacks_are_seeded_and_independent_of_requests() -> None:
    injector = FaultInjector("callbacks", FaultProfile(lost_callback_rate=0.5, seed=1))
    alone = [injector.should_lose_callback() for _ in range(40)]
    injector.reset()
    interleaved = []
    for _ in range(40):
        injector.plan()
        interleaved.append(injector.should_lose_callback())
    assert interleaved == alone
    assert 5 < sum(alone) < 35
    assert injector.stats()["lost_callback"] == sum(alone)


def test_lost_callback_rate_zero_never_loses_and_one_always_loses() -> None:
    injector = FaultInjector("callbacks")
    assert not any(injector.should_lose_callback() for _ in range(100))
    injector.patch({"lost_callback_rate": 1.0})
    assert all(injector.should_lose_callback() for _ in range(100))


def test_patch_changes_only_the_given_fields() -> None:
    injector = FaultInjector("patch", FaultProfile(error_rate=0.1, seed=5, latency=Latency.fixed(20)))
    injector.patch({"timeout_rate": 0.2, "latency": {"max_ms": 10.0}})
    assert injector.profile == FaultProfile(
        error_rate=0.1, timeout_rate=0.2, seed=5, latency=Latency(kind="fixed", ms=20.0, max_ms=10.0)
    )


def test_patch_with_a_latency_kind_replaces_the_latency() -> None:
    injector = FaultInjector("patch", FaultProfile(latency=Latency.lognormal(10, 100)))
    injector.patch({"latency": {"kind": "fixed", "ms": 3.0}})
    assert injector.profile.latency == Latency.fixed(3)


def test_invalid_patch_changes_nothing() -> None:
    injector = FaultInjector("patch", FaultProfile(error_rate=0.1))
    before = injector.profile
    with pytest.raises(ValidationError):
        injector.patch({"timeout_rate": 0.5, "error_rate": 7})
    assert injector.profile == before


def test_reset_restores_defaults_and_zeroes_counters() -> None:
    defaults = FaultProfile(error_rate=0.5, seed=11)
    injector = FaultInjector("reset", defaults)
    first = [injector.plan() for _ in range(10)]
    injector.should_lose_callback()
    injector.set_profile(FaultProfile(outage=True))
    injector.reset()
    assert injector.profile == defaults
    assert set(injector.stats().values()) == {0}
    assert [injector.plan() for _ in range(10)] == first
