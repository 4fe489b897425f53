"""Run every check against one adapter: start its provider, build it, check, stop, report."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from adapters.conformance import checks_behaviour as behaviour
from adapters.conformance import checks_faults as faults
from adapters.conformance.context import CallLimits, CheckContext
from adapters.conformance.loop_block import LoopBlockProbe, check_event_loop
from adapters.conformance.profile import ConformanceProfile
from adapters.conformance.provider import RunningProvider
from adapters.conformance.report import CheckResult, ConformanceReport
from bus.adapter import Adapter, AdapterFactory, ManagedAdapter
from bus.adapter_registry import installed_adapters

PROFILE_HOOK = "conformance_profile"
PROFILE_ENTRY_POINT_GROUP = "lgsp.conformance"


class TargetNotFound(LookupError):
    """The ENTRYPOINT is neither an installed adapter name nor an importable 'module:factory'."""


def resolve_factory(target: str) -> tuple[AdapterFactory, list[str]]:
    """The factory `target` names, and the modules where its conformance profile may live."""
    if ":" in target:
        module_name, _, attribute = target.partition(":")
        try:
            factory = getattr(import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise TargetNotFound(f"cannot load {target!r}: {exc}") from exc
        modules = [module_name]
    else:
        installed = installed_adapters()
        if target not in installed:
            known = ", ".join(sorted(installed)) or "nothing"
            raise TargetNotFound(f"no adapter {target!r} in entry-point group lgsp.adapters (has: {known})")
        entry = installed[target]
        factory = entry.load()
        modules = [entry.module]
    modules.append(factory.__module__)
    return factory, modules


def factory_path(factory: AdapterFactory) -> str:
    """'module:qualname' of a factory (a function or a class)."""
    return f"{factory.__module__}:{getattr(factory, '__qualname__', type(factory).__qualname__)}"


def registered_profile(target: str, factory: AdapterFactory) -> Callable[[], ConformanceProfile] | None:
    """The `lgsp.conformance` entry point named like the adapter `target` is (its name, or the name of
    the installed adapter whose factory it is); loaded only when found."""
    profiles = {ep.name: ep for ep in entry_points(group=PROFILE_ENTRY_POINT_GROUP)}
    if target in profiles:
        hook: Callable[[], ConformanceProfile] = profiles[target].load()
        return hook
    for name, entry in installed_adapters().items():
        if name in profiles and (entry.value == target or entry.load() is factory):
            found: Callable[[], ConformanceProfile] = profiles[name].load()
            return found
    return None


def find_profile(factory: AdapterFactory, modules: list[str], target: str = "") -> ConformanceProfile | None:
    """`conformance_profile()` next to the factory, else the one registered for the adapter in the
    `lgsp.conformance` entry-point group."""
    for module_name in dict.fromkeys(modules):
        hook = getattr(sys.modules.get(module_name) or import_module(module_name), PROFILE_HOOK, None)
        if callable(hook):
            profile: ConformanceProfile = hook()
            return profile
    registered = registered_profile(target, factory)
    return registered() if registered is not None else None


def load_hook(path: str) -> Callable[[], ConformanceProfile]:
    """A 'module:function' returning a ConformanceProfile (the --profile option)."""
    module_name, _, attribute = path.partition(":")
    try:
        hook: Callable[[], ConformanceProfile] = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise TargetNotFound(f"cannot load profile {path!r}: {exc}") from exc
    return hook


@contextlib.contextmanager
def captured_logs() -> Iterator[behaviour.LogCapture]:
    """Every log record, DEBUG up, while the block runs."""
    capture = behaviour.LogCapture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


@contextlib.asynccontextmanager
async def _provider(profile: ConformanceProfile) -> AsyncIterator[RunningProvider | None]:
    if profile.provider is None:
        yield None
        return
    async with RunningProvider(profile.provider()) as running:
        yield running


async def _timed(results: list[CheckResult], check: Any) -> None:
    started = time.monotonic()
    found = await check
    found = found if isinstance(found, list) else [found]
    for result in found:
        result.seconds = (time.monotonic() - started) / len(found)
    results.extend(found)


async def run_conformance(
    factory: AdapterFactory,
    profile: ConformanceProfile,
    *,
    name: str | None = None,
    limits: CallLimits | None = None,
) -> ConformanceReport:
    """Check the adapter `factory` builds, against the provider `profile` describes; `limits` sets
    each call's deadline and the grace after which a call is abandoned as hung."""
    results: list[CheckResult] = []
    with captured_logs() as capture, LoopBlockProbe() as loop_probe:
        async with _provider(profile) as provider:
            config = dict(profile.config)
            if provider is not None:
                config[profile.url_key] = provider.url
            adapter: Adapter = factory(config)
            if isinstance(adapter, ManagedAdapter):
                await adapter.start()
            try:
                ctx = CheckContext(adapter, profile, provider, limits=limits or CallLimits())
                ctx.faults = provider is not None and await provider.has_faults()
                await _timed(results, behaviour.check_every_service(ctx))
                await _timed(results, behaviour.check_correlation(ctx))
                await _timed(results, behaviour.check_idempotent(ctx))
                await _timed(results, behaviour.check_vietnamese(ctx))
                await _timed(results, behaviour.check_large_payload(ctx))
                await _timed(results, faults.check_deadline(ctx))
                await _timed(results, faults.check_5xx(ctx))
                await _timed(results, faults.check_outage(ctx))
                await _timed(results, faults.check_malformed(ctx))
                await _timed(results, faults.check_soap_fault(ctx))
                await _timed(results, faults.check_rate_limit(ctx))
                results.append(behaviour.check_answers_are_json(ctx))
            finally:
                if isinstance(adapter, ManagedAdapter):
                    await adapter.close()
        results.append(behaviour.check_no_credentials(ctx, capture))
        results.append(check_event_loop(loop_probe))
    label = name or factory_path(factory)
    return ConformanceReport(adapter=label, results=results)


async def check_target(
    target: str,
    *,
    profile: ConformanceProfile | None = None,
    profile_hook: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> ConformanceReport:
    """Resolve `target` (entry-point name or 'module:factory'), find or take its profile, run the checks.

    `overrides` may hold `provider`, `config` and `samples` (the command line's --mock, --config, --samples).
    """
    factory, modules = resolve_factory(target)
    if profile is None:
        profile = load_hook(profile_hook)() if profile_hook else find_profile(factory, modules, target)
    if profile is None:
        profile = ConformanceProfile(provider=None)
    if overrides:
        profile = profile.with_overrides(**overrides)
    return await run_conformance(factory, profile, name=target)
