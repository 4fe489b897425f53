"""The live feed: one snapshot of the deployment per tick, computed once and pushed to every open page.

A snapshot is built from the state the APIs read (monitoring records and health, the breakers in the
Store, queue depths, the mocks' fault profiles), so pages on any gateway sharing Redis see the same
deployment. The ticker runs only while a page listens; its cost does not grow with the number of pages
(each gets the same encoded bytes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bus.catalog import Catalog
from bus.dashboard.fault_control import FaultControl
from bus.dashboard.load_control import LoadControl
from bus.dashboard.queues import QueueDepths, service_queues
from bus.dashboard.settings import DashboardSettings
from bus.dashboard.topology import (
    LGSP_NODE,
    EdgeTraffic,
    NodeStatus,
    Topology,
    build_topology,
    caller_node,
    measure_edges,
    percentile,
    provider_node,
    provider_state,
)
from bus.monitoring.records import OperationalRecord
from bus.monitoring.sink import MonitoringSink
from bus.reliability.breaker import BreakerState, breaker_states
from bus.store.base import Store

log = logging.getLogger(__name__)

SECONDS_PER_YEAR = 365 * 86_400
LATEST_SHOWN = 30


def record_row(record: OperationalRecord) -> dict[str, Any]:
    """The compact row the pages show for one transaction."""
    return {
        "id": record.transaction_id,
        "at": record.request_in.isoformat(),
        "client": record.client,
        "service": record.service,
        "issue": record.issue,
        "status": record.status,
        "ok": record.succeeded,
        "fault": record.fault_type,
        "ms": round(record.duration_ms, 1),
    }


class SnapshotFeed:
    """Computes snapshots while pages listen, keeps a short throughput history, fans frames out."""

    def __init__(
        self,
        catalog: Catalog,
        monitoring: MonitoringSink,
        store: Store,
        depths: QueueDepths,
        settings: DashboardSettings,
        *,
        faults: FaultControl | None = None,
        load: LoadControl | None = None,
    ) -> None:
        self.topology: Topology = build_topology(catalog, faults.targets if faults else ())
        self._catalog = catalog
        self._monitoring = monitoring
        self._store = store
        self._depths = depths
        self._settings = settings
        self._faults = faults
        self._load = load
        self._adapters = {str(s.id): s.adapter for s in catalog.services}
        self._history: deque[list[float | None]] = deque(maxlen=settings.history_points)
        self._slow: dict[str, Any] = {"faults": {}, "queues": {}}
        self._slow_at = 0.0
        self._snapshot: dict[str, Any] | None = None
        self._snapshot_at = 0.0
        self._frame = b""
        self._version = 0
        self._changed = asyncio.Condition()
        self._listeners = 0
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._lock = asyncio.Lock()

    async def snapshot(self) -> dict[str, Any]:
        """The latest snapshot, recomputed when older than a tick, with the throughput history."""
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._snapshot_at >= self._settings.tick_seconds:
                await self._refresh()
        assert self._snapshot is not None
        return {**self._snapshot, "history": list(self._history)}

    async def frames(self) -> AsyncIterator[bytes]:
        """Server-Sent Events frames, one per tick, until the page goes or the feed closes."""
        self._listeners += 1
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="dashboard-feed")
        try:
            seen = -1
            while not self._closed:
                async with self._changed:
                    await self._changed.wait_for(partial(self._newer_than, seen))
                    seen, frame = self._version, self._frame
                if frame and not self._closed:
                    yield frame
        finally:
            self._listeners -= 1

    def _newer_than(self, version: int) -> bool:
        return self._version != version or self._closed

    async def close(self) -> None:
        """End every open stream and the ticker (at shutdown, so servers need not wait for pages)."""
        self._closed = True
        async with self._changed:
            self._changed.notify_all()
        if self._ticker is not None:
            self._ticker.cancel()

    async def _tick(self) -> None:
        while self._listeners > 0 and not self._closed:
            started = time.monotonic()
            try:
                async with self._lock:
                    await self._refresh()
            except Exception:  # one bad read (Redis blip) must not end every page's stream
                log.warning("dashboard snapshot failed", exc_info=True)
            await asyncio.sleep(max(0.0, self._settings.tick_seconds - (time.monotonic() - started)))

    async def _refresh(self) -> None:
        snapshot = await self._compute()
        self._snapshot, self._snapshot_at = snapshot, time.monotonic()
        self._history.append(snapshot["point"])
        frame = json.dumps(snapshot, separators=(",", ":"))
        async with self._changed:
            # `retry`: a page whose stream broke (a gateway restarting) reconnects after 2 s.
            self._frame = f"retry: 2000\nevent: snapshot\ndata: {frame}\n\n".encode()
            self._version += 1
            self._changed.notify_all()

    async def _compute(self) -> dict[str, Any]:
        now = time.time()
        window = self._settings.window_seconds
        since = datetime.now(UTC) - timedelta(seconds=window)
        records = await self._monitoring.latest(limit=self._settings.window_records, since=since)
        seconds = window
        if len(records) >= self._settings.window_records:  # capped: measure over what was read
            seconds = max(0.001, now - records[-1].response_out.timestamp())
        edges = measure_edges(records, self._adapters, seconds)
        providers = sorted(set(self._adapters.values()))
        breakers = {b.provider: b for b in await breaker_states(self._store, providers)}
        await self._refresh_slow(now)
        durations = [r.duration_ms for r in records]
        failures = sum(not r.succeeded for r in records)
        rate = len(records) / seconds
        p95 = percentile(durations, 0.95)
        error_share = failures / len(records) if records else 0.0
        return {
            "at": now,
            "window_seconds": window,
            "edges": {edge: traffic.model_dump() for edge, traffic in edges.items()},
            "nodes": {
                node: status.model_dump(exclude_none=True)
                for node, status in self._node_states(edges, breakers).items()
            },
            "breakers": [b.model_dump() for b in breakers.values()],
            "totals": {
                "rate": rate,
                "per_year": rate * SECONDS_PER_YEAR,
                "p95_ms": p95,
                "error_share": error_share,
            },
            "point": [now, rate, p95, error_share],
            "queues": {service: list(counts) for service, counts in self._slow["queues"].items()},
            "latest": [record_row(r) for r in records[:LATEST_SHOWN]],
            "faults": self._slow["faults"],
            "scenarios": [s.model_dump() for s in self._faults.active()] if self._faults else [],
            "load": self._load.status().model_dump() if self._load else None,
        }

    async def _refresh_slow(self, now: float) -> None:
        """Queue depths and fault profiles: read every few seconds (each is a round trip per service)."""
        if now - self._slow_at < self._settings.slow_poll_seconds:
            return
        self._slow_at = now
        queues: dict[str, tuple[int | None, int | None]] = {}
        for service in self._catalog.services:
            queues[str(service.id)] = await service_queues(self._depths, service.id.queue_name)
        faults: dict[str, Any] = {}
        if self._faults is not None:
            for name, state in (await self._faults.states()).items():
                profile = state.get("profile") if state else None
                faults[name] = {"profile": profile, "summary": self._faults.summary(name, profile)}
        self._slow = {"faults": faults, "queues": queues}

    def _node_states(
        self, edges: dict[str, EdgeTraffic], breakers: dict[str, BreakerState]
    ) -> dict[str, NodeStatus]:
        states: dict[str, NodeStatus] = {}
        busy = any(traffic.calls for traffic in edges.values())
        states[LGSP_NODE] = NodeStatus(state="ok" if busy else "idle")
        for client in self._catalog.clients:
            caller = caller_node(str(client.id))
            traffic = edges.get(f"{caller}>{LGSP_NODE}")
            states[caller] = NodeStatus(state="ok" if traffic and traffic.calls else "idle")
        for node in self.topology.nodes:
            if node.kind != "provider":
                continue
            adapter = node.label  # a provider node is labelled with its adapter's name
            breaker = breakers.get(adapter)
            depth = dead = None
            for service in node.services:
                ready, letters = self._slow["queues"].get(service, (None, None))
                depth = ready if depth is None else depth + (ready or 0)
                dead = letters if dead is None else dead + (letters or 0)
            fault = self._slow["faults"].get(adapter, {}).get("summary")
            states[node.id] = NodeStatus(
                state=provider_state(edges.get(f"{LGSP_NODE}>{provider_node(adapter)}"), breaker),
                breaker=breaker.state if breaker else None,
                queue_depth=depth,
                dead_letters=dead,
                fault=fault,
            )
        return states
