"""Checks that inject provider faults and expect the right taxonomy error (and a kept deadline)."""

from __future__ import annotations

from typing import Any

from adapters.conformance.context import CheckContext, Outcome
from adapters.conformance.report import CheckResult
from bus.errors import BadResponse, BusError, ProviderError, ProviderTimeout, ProviderUnavailable

DEADLINE_SECONDS = 1.0
DEADLINE_SLACK_SECONDS = 0.5
_HANG_SECONDS = 30.0


def _not_applicable(ctx: CheckContext, name: str) -> CheckResult | None:
    if ctx.provider is None:
        return CheckResult(name=name, status="not_applicable", detail="the adapter calls no provider")
    if not ctx.faults:
        return CheckResult(name=name, status="not_applicable", detail="the provider has no /_control/faults")
    if ctx.first_sample is None:
        return CheckResult(name=name, status="fail", detail="no sample request declared")
    return None


def _expect(name: str, outcome: Outcome, expected: type[BusError], fault: str) -> CheckResult:
    if isinstance(outcome.error, expected) and type(outcome.error).type == expected.type:
        return CheckResult(name=name, status="pass", detail=f"{fault} → {expected.type}")
    got = (
        outcome.describe()
        if outcome.error is None
        else f"{getattr(outcome.error, 'type', '?')} ({outcome.describe()})"
    )
    return CheckResult(name=name, status="fail", detail=f"{fault}: expected {expected.type}, got {got}")


async def _with_faults(ctx: CheckContext, changes: dict[str, Any], deadline: float = 10.0) -> Outcome:
    assert ctx.provider is not None and ctx.first_sample is not None
    await ctx.provider.set_faults(changes)
    try:
        return await ctx.call(ctx.envelope(ctx.first_sample, deadline=deadline))
    finally:
        await ctx.provider.reset_faults()


async def check_deadline(ctx: CheckContext) -> list[CheckResult]:
    """Hanging provider, 1 s deadline: ProviderTimeout (maps_provider_timeout) in time (honours_deadline)."""
    skipped = [_not_applicable(ctx, name) for name in ("honours_deadline", "maps_provider_timeout")]
    if skipped[0] is not None and skipped[1] is not None:
        return [skipped[0], skipped[1]]
    outcome = await _with_faults(ctx, {"timeout_rate": 1.0, "hang_seconds": _HANG_SECONDS}, DEADLINE_SECONDS)
    limit = DEADLINE_SECONDS + DEADLINE_SLACK_SECONDS
    within = not outcome.abandoned and outcome.seconds <= limit
    timing = CheckResult(
        name="honours_deadline",
        status="pass" if within else "fail",
        detail=f"returned after {outcome.seconds:.2f}s, deadline {DEADLINE_SECONDS:g}s (limit {limit:g}s)"
        + ("" if not outcome.abandoned else "; abandoned, the adapter ignores the envelope's deadline"),
    )
    return [timing, _expect("maps_provider_timeout", outcome, ProviderTimeout, "provider hangs")]


async def check_5xx(ctx: CheckContext) -> CheckResult:
    """HTTP 500 from the provider → Server.Provider.InternalError."""
    name = "maps_provider_5xx"
    skipped = _not_applicable(ctx, name)
    if skipped is not None:
        return skipped
    outcome = await _with_faults(ctx, {"error_rate": 1.0, "error_status": 500})
    return _expect(name, outcome, ProviderError, "HTTP 500")


async def check_outage(ctx: CheckContext) -> CheckResult:
    """HTTP 503 (outage) → Server.Provider.Unavailable."""
    name = "maps_provider_outage"
    skipped = _not_applicable(ctx, name)
    if skipped is not None:
        return skipped
    outcome = await _with_faults(ctx, {"outage": True})
    return _expect(name, outcome, ProviderUnavailable, "HTTP 503 outage")


async def check_malformed(ctx: CheckContext) -> CheckResult:
    """A truncated, undecodable body → Server.Provider.BadResponse."""
    name = "maps_malformed_body"
    skipped = _not_applicable(ctx, name)
    if skipped is not None:
        return skipped
    outcome = await _with_faults(ctx, {"malformed_rate": 1.0})
    return _expect(name, outcome, BadResponse, "malformed body")


async def check_soap_fault(ctx: CheckContext) -> CheckResult:
    """A soap:Server fault → Server.Provider.InternalError (SOAP adapters only)."""
    name = "maps_soap_fault"
    if not ctx.profile.soap:
        return CheckResult(name=name, status="not_applicable", detail="the provider does not speak SOAP")
    skipped = _not_applicable(ctx, name)
    if skipped is not None:
        return skipped
    outcome = await _with_faults(ctx, {"error_rate": 1.0, "soap_fault": True})
    return _expect(name, outcome, ProviderError, "soap:Server fault")


async def check_rate_limit(ctx: CheckContext) -> CheckResult:
    """HTTP 429 with Retry-After → Server.Provider.Unavailable (the first call takes the only token)."""
    name = "maps_rate_limit_429"
    skipped = _not_applicable(ctx, name)
    if skipped is not None:
        return skipped
    assert ctx.provider is not None and ctx.first_sample is not None
    await ctx.provider.set_faults({"rate_limit_per_second": 0.01})
    try:
        envelope = ctx.envelope(ctx.first_sample)
        await ctx.call(envelope)
        outcome = await ctx.call(envelope)
    finally:
        await ctx.provider.reset_faults()
    return _expect(name, outcome, ProviderUnavailable, "HTTP 429")
