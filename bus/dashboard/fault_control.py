"""Faults injected into the mock systems from the dashboard, through each mock's HTTP control API.

The bus knows no mock: the composition root hands in their control URLs by name and the named scenarios
(a change to one mock, cleared again after a while or by hand). Profiles are the mocks' own JSON; this
module only forwards a validated change and reports what the mock answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, Field

from bus.errors import BadRequest, BusError, ProviderError

log = logging.getLogger(__name__)

CONTROL_PATH = "/_control/faults"
# The fault kinds the page offers, as changes to a mock's profile (its control API validates them).
FAULT_KINDS: dict[str, str] = {
    "latency": "fixed added latency in ms: {'latency': {'kind': 'fixed', 'ms': N}}",
    "error_rate": "share of calls answered with an error status",
    "outage": "every call refused (connection-level outage)",
    "lost_callback_rate": "share of callbacks (payment confirmations, parcel events) never sent",
}


class Scenario(BaseModel):
    """A named fault: `changes` to the profile of mock `target`, cleared after `seconds` (None: by hand)."""

    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    title: str
    target: str
    changes: dict[str, Any]
    seconds: float | None = Field(None, gt=0, le=3600)


class FaultChange(BaseModel):
    """A change asked for on the page: some profile fields of one mock."""

    target: str = Field(max_length=64)
    changes: dict[str, Any] = Field(max_length=len(FAULT_KINDS))


class ActiveScenario(BaseModel):
    """A scenario running now, and when it clears itself."""

    name: str
    target: str
    clears_at: float | None


class FaultControl:
    """Reads and changes the fault profiles of the mocks at `targets` (name → base URL); `normal` holds
    each mock's own default profile (the payment mock loses a few callbacks by design: no fault)."""

    def __init__(
        self,
        targets: Mapping[str, str],
        scenarios: Mapping[str, Scenario],
        *,
        normal: Mapping[str, dict[str, Any]] | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.targets = dict(targets)
        self.normal = dict(normal or {})
        self.scenarios = dict(scenarios)
        for scenario in self.scenarios.values():
            if scenario.target not in self.targets:
                raise ValueError(f"scenario {scenario.name!r} targets unknown mock {scenario.target!r}")
        self._http = http if http is not None else httpx.AsyncClient(timeout=5.0)
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._active: dict[str, ActiveScenario] = {}

    async def close(self) -> None:
        """Cancel pending scenario timers and close connections (faults stay as they are)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self._http.aclose()

    async def states(self) -> dict[str, Any]:
        """Each mock's fault state as it answers (None for a mock that does not answer)."""
        names = sorted(self.targets)
        answers = await asyncio.gather(*(self._get(name) for name in names))
        return dict(zip(names, answers, strict=True))

    def summary(self, target: str, profile: dict[str, Any] | None) -> str | None:
        """A few words for what `profile` injects beyond `target`'s normal profile (None: nothing)."""
        return describe_fault(profile, self.normal.get(target))

    def active(self) -> list[ActiveScenario]:
        """The scenarios started and not yet cleared."""
        return list(self._active.values())

    async def change(self, wanted: FaultChange) -> dict[str, Any]:
        """Apply `wanted` to its mock; BadRequest for an unknown mock or a field the page does not offer."""
        unknown = set(wanted.changes) - set(FAULT_KINDS)
        if unknown:
            raise BadRequest(f"unknown fault fields {sorted(unknown)}; offered: {sorted(FAULT_KINDS)}")
        return await self._send("PATCH", self._url(wanted.target), wanted.changes)

    async def clear(self, target: str) -> dict[str, Any]:
        """Back to the mock's defaults; a scenario running on it ends."""
        url = self._url(target)
        for name in [n for n, a in self._active.items() if a.target == target]:
            self._end(name)
        return await self._send("POST", f"{url}/reset", None)

    async def start_scenario(self, name: str) -> ActiveScenario:
        """Apply a named scenario; it clears itself after its duration."""
        scenario = self.scenarios.get(name)
        if scenario is None:
            raise BadRequest(f"unknown scenario {name!r}; known: {sorted(self.scenarios)}")
        await self._send("PATCH", self._url(scenario.target), scenario.changes)
        self._end(name)
        clears_at = time.time() + scenario.seconds if scenario.seconds else None
        self._active[name] = ActiveScenario(name=name, target=scenario.target, clears_at=clears_at)
        if scenario.seconds:
            self._timers[name] = asyncio.create_task(self._clear_later(scenario), name=f"scenario-{name}")
        return self._active[name]

    def _end(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        self._active.pop(name, None)

    async def _clear_later(self, scenario: Scenario) -> None:
        assert scenario.seconds is not None
        await asyncio.sleep(scenario.seconds)
        try:
            await self.clear(scenario.target)
        except BusError:
            log.warning("scenario %s could not clear mock %s", scenario.name, scenario.target)

    def _url(self, target: str) -> str:
        base = self.targets.get(target)
        if base is None:
            raise BadRequest(f"unknown mock {target!r}; known: {sorted(self.targets)}")
        return base.rstrip("/") + CONTROL_PATH

    async def _get(self, name: str) -> Any:
        try:
            response = await self._http.get(self._url(name))
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    async def _send(self, method: str, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise ProviderError(f"the mock's fault control at {url} did not answer: {exc}") from exc
        if response.status_code == 422:
            raise BadRequest(f"the mock refused the change: {response.text[:500]}")
        if response.status_code != 200:
            raise ProviderError(f"the mock's fault control answered {response.status_code}")
        answer: dict[str, Any] = response.json()
        return answer


def describe_fault(profile: dict[str, Any] | None, normal: dict[str, Any] | None = None) -> str | None:
    """A few words for what a mock's fault profile injects beyond its `normal` one (None: nothing)."""
    if profile is None:
        return "control API unreachable"
    if normal is not None:
        profile = {key: value for key, value in profile.items() if normal.get(key) != value}
    parts = []
    if profile.get("outage"):
        parts.append("outage")
    if profile.get("error_rate"):
        parts.append(f"errors {profile['error_rate']:.0%}")
    if profile.get("timeout_rate"):
        parts.append(f"time-outs {profile['timeout_rate']:.0%}")
    if profile.get("lost_callback_rate"):
        parts.append(f"callbacks lost {profile['lost_callback_rate']:.0%}")
    latency = profile.get("latency") or {}
    if latency.get("kind") == "fixed" and latency.get("ms", 0) >= 1000:
        parts.append(f"latency {latency['ms']:.0f} ms")
    return ", ".join(parts) or None
