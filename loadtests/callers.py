"""Who calls: the load test speaks for a province's whole traffic, so its calls come from several client
identities, as the province's agencies and the national portal would call, each with its own fair share
of the gateway. One identity for everything would meet the gateway's per-client share (half its calls in
progress), which exists to stop one agency starving the others, not to bound a province's traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.mix import WEIGHTS, available
from loadtests.scenarios.base import Scenario

# The default catalog's demo clients (its header lists their keys): the load generator, the province's
# agencies and the national portal, which alone synchronises dossiers into the one-stop system.
DEFAULT_CALLERS = (
    "VN/GOV/HPG/LOADTEST=loadtest-demo-key,VN/GOV/HPG/STP=stp-demo-key,VN/GOV/HPG/MOTCUA=motcua-demo-key,"
    "VN/GOV/HPG/UBNDLC=ubndlc-demo-key,VN/GOV/DVCQG/PORTAL=portal-demo-key"
)


@dataclass(frozen=True)
class Caller:
    """A client identity and its API key."""

    client: str
    key: str

    def headers(self) -> dict[str, str]:
        """The gateway's authentication headers for this caller."""
        return {"X-Road-Client": self.client, "X-Api-Key": self.key}


def parse_callers(text: str) -> tuple[Caller, ...]:
    """`CLIENT=KEY,CLIENT=KEY,…` as callers, in order; ValueError naming a malformed or repeated entry."""
    callers: list[Caller] = []
    for entry in (part.strip() for part in text.split(",")):
        client, sep, key = entry.partition("=")
        if not sep or not client.strip() or not key.strip():
            raise ValueError(
                f"caller {entry!r}: write CLIENT=KEY, e.g. VN/GOV/HPG/LOADTEST=loadtest-demo-key"
            )
        if any(c.client == client.strip() for c in callers):
            raise ValueError(f"caller {client.strip()!r} is given twice")
        callers.append(Caller(client.strip(), key.strip()))
    return tuple(callers)


@dataclass(frozen=True)
class Offer:
    """What the callers may run: each scenario's weight and callers, service ids by code, what is out."""

    weights: dict[Scenario, int]
    callers: dict[Scenario, tuple[Caller, ...]]
    service_ids: dict[str, str]
    skipped: list[str]


def offer(catalogs: dict[Caller, list[str]], weights: dict[Scenario, int] | None = None) -> Offer:
    """From the service ids each caller's catalog lists: the scenarios some caller may run whole (each
    with every caller that may, in the callers' order), and the service ids by code."""
    weights = WEIGHTS if weights is None else weights
    callers: dict[Scenario, tuple[Caller, ...]] = {}
    service_ids: dict[str, str] = {}
    for caller, ids in catalogs.items():
        runnable, by_code, _ = available(ids, weights)
        service_ids.update(by_code)
        for scenario in runnable:
            callers[scenario] = (*callers.get(scenario, ()), caller)
    names = ", ".join(c.client for c in catalogs)
    kept = {scenario: weight for scenario, weight in weights.items() if scenario in callers}
    skipped = [
        f"{scenario.name}: skipped, no caller ({names}) may call all of {', '.join(scenario.services)}"
        for scenario, weight in weights.items()
        if weight > 0 and scenario not in callers
    ]
    return Offer(kept, callers, service_ids, skipped)
