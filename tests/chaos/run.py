"""The phases of a chaos run, the same on every stack (memory; RabbitMQ + Redis):

1. load: every certificate request once, while the fault schedule runs and the provider misbehaves;
2. each request that failed is retried once with its key and body, as a real client would: either
   after the faults are cleared and the bus has finished what it accepted (`faults_cleared`), or while
   the faults go on (the issue's run), the faults being cleared afterwards;
3. the dead letters are replayed (`lgsp dlq replay`), and the bus settles again;
4. every request is asked once more with its key and body (a later retry returns the recorded outcome);
every request is reconciled against the registry's records after phases 2, 3 and 4.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bus.dlq.inspect import DeadLetterQueues, LetterFilter
from bus.reliability.dedupe import CompletedWork
from bus.store import Store
from tests.chaos.certificates import PROVIDER_FAULTS, certificate_requests, reconcile, send, table_text
from tests.chaos.civil_mock import CivilMock
from tests.chaos.faults import Fault, FaultSchedule
from vn_calendar import vietnam_today

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "chaos"
LETTERS_LIMIT = 10_000


@dataclass
class ChaosStack:
    """What a run drives, whatever the transport: the gateway's HTTP client and headers, the service's
    URL, the faults to schedule, how to wait for the bus to finish, and the DLQ tooling."""

    gateway: httpx.AsyncClient
    url: str
    headers: dict[str, str]
    faults: Sequence[Fault]
    settle: Callable[[], Awaitable[None]]
    dead_letters: DeadLetterQueues
    store: Store
    # How long the bus may keep a timed-out request's key in flight (gateway.idempotency.work_horizon).
    horizon: float


@dataclass
class ChaosReport:
    """Both reconciliations, the DLQ before and after the replay, and what the faults did."""

    faults_cleared: bool  # before the client's retries
    after_retries: dict[str, Any]
    after_replay: dict[str, Any]
    asked_again: dict[str, Any]
    faults: dict[str, int]
    injected: dict[str, int]
    dead_letters: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def text(self, title: str) -> str:
        """The tables, for the test's output."""
        when = "faults cleared before the retries" if self.faults_cleared else "retries under the faults"
        return "\n".join(
            [
                table_text(f"{title}, {when}: reconciliation after the client's retries", self.after_retries),
                table_text("after `dlq replay` of the dead letters", self.after_replay),
                table_text("after asking every request again with its key", self.asked_again),
                table_text("dead letters", self.dead_letters),
                table_text("faults", {**self.faults, "provider (mock fault API)": self.injected}),
                table_text("seconds", self.seconds),
            ]
        )

    def save(self, name: str) -> Path:
        """Write the report as JSON under reports/chaos/; its path."""
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False, default=str))
        return path


async def run_certificate_chaos(
    stack: ChaosStack, mock: CivilMock, people: int, *, faults_cleared: bool
) -> ChaosReport:
    """The four phases; returns the report (the test asserts on it). `faults_cleared`: the client's
    retries come after the faults are cleared, else while they go on."""
    started = time.monotonic()
    requests = certificate_requests(mock.adults(people, vietnam_today()), vietnam_today())
    async with httpx.AsyncClient(base_url=mock.url) as provider:
        patched = await provider.patch("/_control/faults", json={**PROVIDER_FAULTS, "hang_seconds": 3.0})
        assert patched.status_code == 200, patched.text
        schedule = FaultSchedule(stack.faults)
        stop = asyncio.Event()
        faulting = asyncio.create_task(schedule.run(stop))

        async def clear_faults() -> dict[str, int]:
            stop.set()
            await faulting
            injected: dict[str, int] = (await provider.get("/_control/faults")).json()["stats"]
            await provider.post("/_control/faults/reset")
            return injected

        try:
            # The load lasts until every fault has had two turns, however fast the bus answers (a quick
            # run once ended before the second worker kill).
            turns = max(
                (f.first_after if f.first_after is not None else f.every) + f.every for f in stack.faults
            )
            await send(
                stack.gateway, stack.url, stack.headers, requests, phase="first", spread_over=turns + 0.5
            )
            load_done = time.monotonic()
            if faults_cleared:
                injected = await clear_faults()
                await stack.settle()
            # A key still in flight when the bus lost its request (it never settled it) frees up after
            # the horizon; a client retrying sooner would be told 409 "in progress" with a Retry-After.
            await asyncio.sleep(max(0.0, load_done + stack.horizon - time.monotonic()))
            settled = time.monotonic()
            failed = [r for r in requests if r.first is None or not r.first.ok]
            await send(stack.gateway, stack.url, stack.headers, failed, phase="retry")
        finally:
            if not stop.is_set():
                injected = await clear_faults()
        await stack.settle()
        retried = time.monotonic()
        after_retries = reconcile(requests, mock)
        letters = await stack.dead_letters.letters(limit=LETTERS_LIMIT)
        replay = await stack.dead_letters.replay(LetterFilter(), limit=LETTERS_LIMIT)
        await stack.settle()
        left = await stack.dead_letters.letters(limit=LETTERS_LIMIT)
        completed = CompletedWork(stack.store)
        replies = [await completed.reply_for(message_id) for message_id in replay.replayed]
    after_replay = reconcile(requests, mock)
    replayed = time.monotonic()
    await send(stack.gateway, stack.url, stack.headers, requests, phase="again")
    await stack.settle()
    asked_again = reconcile(requests, mock)
    return ChaosReport(
        faults_cleared=faults_cleared,
        after_retries=after_retries,
        after_replay=after_replay,
        asked_again=asked_again,
        faults=dict(schedule.counts),
        injected={k: v for k, v in injected.items() if v},
        dead_letters={
            "before replay": len(letters),
            "by error": dict(Counter(letter.error_type or letter.reason or "?" for letter in letters)),
            # "none": no attempt reached the provider (a deadline that passed first would show here).
            "by effect": dict(Counter(letter.effect for letter in letters)),
            "replayed": len(replay.replayed),
            "second copies removed": len(replay.duplicates_removed),
            "replays answered ok": sum(1 for reply in replies if reply is not None and reply.ok),
            "left after replay": len(left),
        },
        seconds={
            "load": round(load_done - started, 1),
            "until the retries": round(settled - load_done, 1),
            "retries": round(retried - settled, 1),
            "replay": round(replayed - retried, 1),
            "asked again": round(time.monotonic() - replayed, 1),
        },
    )


def assert_exactly_once(report: ChaosReport, people: int) -> None:
    """The issue's bar: nothing doubled, no failure told of an effect that happened, no 200 without
    one; with the faults cleared before the retries, every request 200 with one effect; the dead
    letters replayed to an empty DLQ without a second effect; and every key then answering 200."""
    for table in (report.after_retries, report.after_replay, report.asked_again):
        assert table["effect doubled"] == 0
        assert table["reported failed, but effected"] == 0
        assert table["200 without effect"] == 0
    if report.faults_cleared:
        assert report.after_retries["still failing"] == 0, report.after_retries["still failing, by error"]
        assert report.after_retries["effect exactly once"] == people
    assert report.dead_letters["left after replay"] == 0
    assert report.dead_letters["replays answered ok"] == report.dead_letters["replayed"]
    assert report.asked_again["still failing"] == 0, report.asked_again["still failing, by error"]
    assert report.asked_again["effect exactly once"] == people
