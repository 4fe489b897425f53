"""The province's systems as a graph, read from the catalog, and live traffic measured over its edges.

    caller ──▶ LGSP ──▶ provider          one node per catalog client, the bus, one per adapter
                                          (providers grouped by the member that owns their services)

Nothing here names a national system: a new adapter or client in the catalog is a new node.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from bus.catalog import Catalog
from bus.monitoring.records import OperationalRecord
from bus.reliability.breaker import BreakerState

LGSP_NODE = "lgsp"
NodeKind = Literal["caller", "bus", "provider"]
NodeState = Literal["idle", "ok", "failing", "recovering", "failed"]
# A provider answering at least this share of failures, over a few calls, is shown failing.
FAILING_SHARE = 0.5
FAILING_MIN_CALLS = 3


class Group(BaseModel):
    """A member (ministry, agency, company) owning some providers' services, e.g. VN/GOV/BCA."""

    id: str
    label: str


class Node(BaseModel):
    """One system on the map."""

    id: str
    kind: NodeKind
    label: str
    title: str
    group: str | None = None
    services: list[str] = []
    fault_target: str | None = None


class Edge(BaseModel):
    """Calls from `source` to `target`."""

    id: str
    source: str
    target: str


class Topology(BaseModel):
    """The static map: nodes, groups, edges."""

    groups: list[Group]
    nodes: list[Node]
    edges: list[Edge]


class EdgeTraffic(BaseModel):
    """What crossed one edge in the recent window."""

    calls: int
    rate: float
    error_share: float
    p95_ms: float | None


class NodeStatus(BaseModel):
    """A node's state now, why, and the queues behind it."""

    state: NodeState
    breaker: str | None = None
    queue_depth: int | None = None
    dead_letters: int | None = None
    fault: str | None = None


def provider_node(adapter: str) -> str:
    """The node id of an adapter's provider."""
    return f"provider:{adapter}"


def caller_node(client: str) -> str:
    """The node id of a catalog client."""
    return f"caller:{client}"


def build_topology(catalog: Catalog, fault_targets: Iterable[str] = ()) -> Topology:
    """Every client, the LGSP and every adapter of `catalog`; `fault_targets` are the adapters (by name)
    whose mock takes injected faults."""
    targets = set(fault_targets)
    nodes = [Node(id=LGSP_NODE, kind="bus", label="LGSP", title=f"LGSP {catalog.province}".strip())]
    edges: list[Edge] = []
    for client in catalog.clients:
        node = caller_node(str(client.id))
        short = f"{client.id.member_code}/{client.id.subsystem}"
        nodes.append(Node(id=node, kind="caller", label=short, title=client.name or str(client.id)))
        edges.append(Edge(id=f"{node}>{LGSP_NODE}", source=node, target=LGSP_NODE))
    groups: dict[str, Group] = {}
    by_adapter: dict[str, list[str]] = {}
    owners: dict[str, str] = {}
    for service in catalog.services:
        by_adapter.setdefault(service.adapter, []).append(str(service.id))
        member = f"{service.id.instance}/{service.id.member_class}/{service.id.member_code}"
        owners.setdefault(service.adapter, member)
        groups.setdefault(member, Group(id=f"group:{member}", label=member))
    for adapter in sorted(by_adapter):
        node = provider_node(adapter)
        nodes.append(
            Node(
                id=node,
                kind="provider",
                label=adapter,
                title=f"{adapter} ({len(by_adapter[adapter])} services)",
                group=groups[owners[adapter]].id,
                services=sorted(by_adapter[adapter]),
                fault_target=adapter if adapter in targets else None,
            )
        )
        edges.append(Edge(id=f"{LGSP_NODE}>{node}", source=LGSP_NODE, target=node))
    return Topology(groups=sorted(groups.values(), key=lambda g: g.id), nodes=nodes, edges=edges)


@dataclass
class _Tally:
    failures: int = 0
    durations: list[float] = field(default_factory=list)

    def traffic(self, seconds: float) -> EdgeTraffic:
        calls = len(self.durations)
        return EdgeTraffic(
            calls=calls,
            rate=calls / seconds,
            error_share=self.failures / calls if calls else 0.0,
            p95_ms=percentile(self.durations, 0.95),
        )


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure_edges(
    records: Iterable[OperationalRecord], adapters: Mapping[str, str], seconds: float
) -> dict[str, EdgeTraffic]:
    """Traffic per edge id over `seconds`, from records; `adapters` maps service id to adapter name.
    Run each tick over up to thousands of records: each record's duration is taken once, and its
    edges' tallies are looked up by client and by service."""
    inbound: dict[str, _Tally] = {}  # by client
    outbound: dict[str, _Tally | None] = {}  # by service; None for a service of no known adapter
    by_edge: dict[str, _Tally] = {}
    for record in records:
        duration, failed = record.duration_ms, not record.succeeded
        if record.client is not None:
            tally = inbound.get(record.client)
            if tally is None:
                edge = f"{caller_node(record.client)}>{LGSP_NODE}"
                tally = inbound[record.client] = by_edge.setdefault(edge, _Tally())
            tally.durations.append(duration)
            tally.failures += failed
        service = record.service or ""
        if service not in outbound:
            adapter = adapters.get(service)
            outbound[service] = (
                None
                if adapter is None
                else by_edge.setdefault(f"{LGSP_NODE}>{provider_node(adapter)}", _Tally())
            )
        if (provider := outbound[service]) is not None:
            provider.durations.append(duration)
            provider.failures += failed
    return {edge: tally.traffic(seconds) for edge, tally in by_edge.items()}


def provider_state(traffic: EdgeTraffic | None, breaker: BreakerState | None) -> NodeState:
    """A provider's state: its circuit first (shared by every worker), then what its calls answer."""
    if breaker is not None and breaker.state == "open":
        return "failed"
    if breaker is not None and breaker.state == "half-open":
        return "recovering"
    if traffic is None or traffic.calls == 0:
        return "idle"
    if traffic.calls >= FAILING_MIN_CALLS and traffic.error_share >= FAILING_SHARE:
        return "failing"
    return "ok"
