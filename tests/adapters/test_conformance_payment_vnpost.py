"""The conformance kit on the payment and VNPost adapters: all green, with effects counted for real."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from adapters.conformance import ConformanceReport, check_target
from adapters.conformance.context import CheckContext
from adapters.conformance.profile import ConformanceProfile
from adapters.conformance.provider import RunningProvider
from adapters.payment import create_adapter as create_payment_adapter
from adapters.vnpost import create_adapter as create_vnpost_adapter
from bus.adapter import ManagedAdapter
from lgsp.conformance_profiles.payment import conformance_profile as payment_profile
from lgsp.conformance_profiles.vnpost import CONFORMANCE_CLIENT, CONFORMANCE_SECRET, PresetTokenIssuer
from lgsp.conformance_profiles.vnpost import conformance_profile as vnpost_profile
from services.vnpost.oauth import OAuthError


def _statuses(report: ConformanceReport) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


@asynccontextmanager
async def _checked(
    profile: ConformanceProfile, factory: Callable[[dict[str, Any]], Any]
) -> AsyncIterator[CheckContext]:
    """The profile's provider served on a free port and the adapter built on it, as the kit does."""
    assert profile.provider is not None
    async with RunningProvider(profile.provider()) as provider:
        adapter = factory({**profile.config, profile.url_key: provider.url})
        assert isinstance(adapter, ManagedAdapter)
        await adapter.start()
        try:
            yield CheckContext(adapter, profile, provider)
        finally:
            await adapter.close()


async def _counters(provider: RunningProvider | None) -> dict[str, int]:
    assert provider is not None
    async with httpx.AsyncClient(base_url=provider.url, timeout=5.0) as control:
        answer = await control.get("/_control/effects")
    answer.raise_for_status()
    counters: dict[str, int] = answer.json()
    return counters


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["payment", "vnpost"])
async def test_adapter_passes_every_applicable_check(adapter: str) -> None:
    report = await check_target(adapter)
    statuses = _statuses(report)
    assert report.ok, report.model_dump_json(indent=1)
    assert statuses.pop("maps_soap_fault") == "not_applicable"  # JSON providers
    assert set(statuses.values()) == {"pass"}, statuses


async def test_payment_initiate_redelivered_creates_one_payment_at_the_platform() -> None:
    profile = payment_profile()
    async with _checked(profile, create_payment_adapter) as ctx:
        assert ctx.first_sample is not None and ctx.first_sample.service.endswith("/KhoiTaoThanhToan/v1")
        envelope = ctx.envelope(ctx.first_sample)
        first = await ctx.call(envelope)
        after_first = await _counters(ctx.provider)
        second = await ctx.call(envelope)
        after_second = await _counters(ctx.provider)
    assert first.error is None and second.error is None, (first.describe(), second.describe())
    assert after_first["payments_created"] == after_second["payments_created"] == 1
    assert first.answer == second.answer


async def test_vnpost_order_redelivered_posts_one_order_at_vnpost() -> None:
    profile = vnpost_profile()
    async with _checked(profile, create_vnpost_adapter) as ctx:
        assert ctx.first_sample is not None and ctx.first_sample.service.endswith("/postOrder/v1")
        envelope = ctx.envelope(ctx.first_sample)
        first = await ctx.call(envelope)
        after_first = await _counters(ctx.provider)
        second = await ctx.call(envelope)
        after_second = await _counters(ctx.provider)
    assert first.error is None and second.error is None, (first.describe(), second.describe())
    assert after_first["orders_posted"] == after_second["orders_posted"] == 1
    assert after_second["tokens_issued"] == 1  # the second delivery reused the cached token
    assert first.answer == second.answer


async def test_vnpost_cancel_sample_cancels_the_order_it_names() -> None:
    profile = vnpost_profile()
    async with _checked(profile, create_vnpost_adapter) as ctx:
        for sample in profile.samples:
            outcome = await ctx.call(ctx.envelope(sample))
            assert outcome.error is None, f"{sample.service}: {outcome.describe()}"
        counters = await _counters(ctx.provider)
    assert counters["orders_posted"] == 2 and counters["orders_cancelled"] == 1


async def test_payment_profile_secret_is_the_one_the_platform_checks() -> None:
    # A wrong secret must be refused by the mock, or the log check would look for a secret never used.
    profile = payment_profile()
    wrong = profile.with_overrides(config={"secret": "not-the-partner-secret"})
    async with _checked(wrong, create_payment_adapter) as ctx:
        assert ctx.first_sample is not None
        outcome = await ctx.call(ctx.envelope(ctx.first_sample))
    assert getattr(outcome.error, "type", None) == "Server.Provider.Rejected", outcome.describe()
    assert "checksum" in str(outcome.error)
    assert profile.secrets == (profile.config["secret"],)


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def test_preset_token_issuer_issues_only_named_tokens_that_authorise_calls() -> None:
    issuer = PresetTokenIssuer(["tok-a", "tok-b"], {CONFORMANCE_CLIENT: CONFORMANCE_SECRET}, 60.0)
    form = b"grant_type=client_credentials"
    issued = [issuer.issue(form, _basic(CONFORMANCE_CLIENT, CONFORMANCE_SECRET)) for _ in range(3)]
    assert issued == ["tok-a", "tok-b", "tok-a"]
    assert issuer.client_of("Bearer tok-b") == CONFORMANCE_CLIENT


def test_preset_token_issuer_still_refuses_a_wrong_secret() -> None:
    issuer = PresetTokenIssuer(["tok-a"], {CONFORMANCE_CLIENT: CONFORMANCE_SECRET}, 60.0)
    with pytest.raises(OAuthError, match="wrong secret"):
        issuer.issue(b"grant_type=client_credentials", _basic(CONFORMANCE_CLIENT, "guess"))


async def test_vnpost_profile_names_every_token_the_mock_issues_as_a_secret() -> None:
    profile = vnpost_profile()
    assert CONFORMANCE_SECRET in profile.secrets
    assert profile.provider is not None
    async with RunningProvider(profile.provider()) as provider:
        async with httpx.AsyncClient(base_url=provider.url, timeout=5.0) as client:
            answer = await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": _basic(CONFORMANCE_CLIENT, CONFORMANCE_SECRET)},
            )
    answer.raise_for_status()
    assert answer.json()["access_token"] in profile.secrets
