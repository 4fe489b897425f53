"""Chaos with outages: a steady stream of idempotent requests through a gateway and two workers while a
fault schedule cuts the broker, black-holes it, and cuts Redis (each through a fault proxy; the
machine's RabbitMQ and Redis keep running). Then reconcile every request against the provider's effects:

    lost                 accepted (not refused) yet no effect, not parked in the DLQ     must be 0
    doubled              more than one effect                                             must be 0
    refused but effected answered 503 Server.Bus.Unavailable ("nothing done"), effect    must be 0
    200 without effect   answered success, no effect                                     must be 0
    unlogged             answered, yet no transaction-log entry after the outages        must be 0

A 504 or a 202 (publish unconfirmed or in doubt, followed at Location) is allowed: it promises nothing
false. The provider here is not idempotent: every call it gets is an effect, so the bus alone is judged.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from bus.dlq.inspect import DeadLetterQueues
from bus.dlq.record import DeadLetter
from bus.envelope import Envelope
from bus.gateway.settings import GatewaySettings
from bus.store import RedisStore
from bus.transport import AmqpTransport
from bus.txlog import RedisTransactionLog, TransactionLogSink, TxLogSettings
from bus.worker import Worker
from tests.gateway.conftest import STP
from tests.outages.stack import gateway_app, outage_catalog, outage_transport
from tests.reliability.processes import delete_queues
from tests.store.conftest import delete_prefixed
from tests.support.fault_proxy import FaultProxy, proxy_to, quick_redis_url

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.amqp, pytest.mark.redis]

REQUESTS = 300
CONCURRENCY = 10
PROVIDER_SECONDS = 0.15
FAULT_EVERY = 1.5
FAULT_SECONDS = 0.8


@dataclass
class EffectsProvider:
    """A provider that acts on every call it gets (no de-duplication of its own), counting per dossier."""

    effects: Counter[str] = field(default_factory=Counter)
    attempts: dict[str, list[int]] = field(default_factory=dict)
    last_call: float = 0.0
    cancelled: list[str] = field(default_factory=list)

    async def settled(self, expected: set[str], quiet: float, within: float = 60.0) -> None:
        """Return once every `expected` dossier has had its effect, or no call came for `quiet` seconds
        (the work that outlived its callers is done; a lease whose SET reply an outage swallowed holds
        its message back for the lease's few seconds)."""
        for _ in range(int(within / 0.25)):
            if expected <= set(self.effects) or time.monotonic() - self.last_call >= quiet:
                return
            await asyncio.sleep(0.25)

    async def handle(self, request: Envelope) -> JsonValue:
        assert isinstance(request.payload, dict)
        dossier = str(request.payload["dossier"])
        self.effects[dossier] += 1
        self.attempts.setdefault(dossier, []).append(request.attempt)
        self.last_call = time.monotonic()
        try:
            await asyncio.sleep(PROVIDER_SECONDS)
        except asyncio.CancelledError:
            self.cancelled.append(dossier)
            raise
        return {"dossier": dossier, "registered": True}


async def fault_schedule(
    broker: FaultProxy, redis: FaultProxy, stop: asyncio.Event, round_done: asyncio.Event
) -> Counter[str]:
    """Broker cut, Redis cut, broker black hole, in turn, each for FAULT_SECONDS, until `stop`;
    `round_done` is set once each fault has been applied and lifted."""
    faults = (
        ("broker_cut", broker.cut, broker),
        ("redis_cut", redis.cut, redis),
        ("broker_black_hole", broker.black_hole, broker),
    )
    done: Counter[str] = Counter()
    turn = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), FAULT_EVERY - FAULT_SECONDS)
            break
        except TimeoutError:
            pass
        name, fault, proxy = faults[turn % len(faults)]
        fault()
        done[name] += 1
        await asyncio.sleep(FAULT_SECONDS)
        proxy.restore()
        turn += 1
        if turn == len(faults):
            round_done.set()
    return done


async def followed(client: httpx.AsyncClient, location: str, within: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        state: dict[str, Any] = (await client.get(location, headers=STP)).json()
        if state.get("state") == "done" or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.2)


async def test_outage_chaos_loses_nothing_doubles_nothing_and_logs_everything(
    amqp_url: str, redis_url: str
) -> None:
    subsystem = "C" + secrets.token_hex(4).upper()
    catalog = outage_catalog(subsystem, count_timeout=2.0)
    prefix = f"lgsp-test:outage-chaos:{secrets.token_hex(4)}:"
    provider = EffectsProvider()
    served = [str(s.id) for s in catalog.services if s.id.service_code == "Count"]
    url = f"/r1/VN/GOV/HPG/{subsystem}/Count/v1"
    async with proxy_to(amqp_url, 5672) as broker, proxy_to(redis_url, 6379) as redis_proxy:
        redis_via_proxy = quick_redis_url(redis_proxy.url(redis_url))
        stores = [RedisStore(redis_via_proxy, prefix=prefix + "s:") for _ in range(3)]
        transports = [
            outage_transport(broker.url(amqp_url), f"chaos-{n}", confirm_timeout=0.5) for n in range(3)
        ]
        workers = [
            Worker(
                catalog, transports[n], {"count": provider}, name=f"chaos-w{n}", only=served, store=stores[n]
            )
            for n in (1, 2)
        ]
        txlog_settings = TxLogSettings(redis_url=redis_via_proxy, stream_key=prefix + "txlog")
        sink = TransactionLogSink(RedisTransactionLog(txlog_settings))
        settings = GatewaySettings(idempotency_poll_seconds=0.05, drain_seconds=30)
        app, router = gateway_app(catalog, transports[0], settings, stores[0], sinks=[sink])
        answers: dict[str, httpx.Response] = {}
        try:
            for worker in workers:
                await worker.start()
            await transports[0].connect()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gw"
            ) as client:
                stop, round_done = asyncio.Event(), asyncio.Event()
                numbers = itertools.count()
                sent: list[str] = []

                async def sender() -> None:
                    """Send until at least REQUESTS are answered and every fault has had its turn
                    (refusals during an outage are quick, so a fixed count can end before the last)."""
                    while (n := next(numbers)) < REQUESTS or not round_done.is_set():
                        dossier = f"HS-{subsystem}-{n:04d}"
                        headers = {**STP, "Idempotency-Key": dossier}
                        sent.append(dossier)
                        answers[dossier] = await client.post(url, json={"dossier": dossier}, headers=headers)

                schedule = asyncio.ensure_future(fault_schedule(broker, redis_proxy, stop, round_done))
                await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
                stop.set()
                faults = await schedule
                late = {
                    d: await followed(client, a.headers["location"])
                    for d, a in answers.items()
                    if a.status_code == 202
                }
                await provider.settled({d for d, a in answers.items() if a.status_code != 503}, quiet=8.0)
                await router.drain()
            for _ in range(50):  # the spooled records land once Redis answers again
                if not len(sink.spool):
                    break
                await asyncio.sleep(0.1)
            parked = await dead_letters(amqp_url, redis_url, prefix + "s:", served_queues(catalog))
            log = RedisTransactionLog(TxLogSettings(redis_url=redis_url, stream_key=prefix + "txlog"))
            logged = {entry.transaction_id async for entry in log.entries()}
            await log.close()
        finally:
            for worker in workers:
                await worker.stop()
            await sink.close()
            for transport in transports:
                await transport.close()
            for store in stores:
                await store.close()
            await delete_queues(amqp_url, catalog)
            await delete_prefixed(redis_url, prefix)

    parked_ids = {letter.caller_transaction_id for letter in parked}  # the caller's X-Road-Id
    statuses = Counter(
        f"{a.status_code} {a.json().get('type', '') if a.status_code >= 400 else ''}".strip()
        for a in answers.values()
    )
    refused = {d for d, a in answers.items() if a.status_code == 503}
    effected = {d for d, n in provider.effects.items() if n >= 1}
    table = {
        "requests": len(sent),
        "answered": len(answers),
        "refused_503": len(refused),
        "followed_202": len(late),
        "effected_once": sum(1 for n in provider.effects.values() if n == 1),
        "lost": sorted(
            d
            for d, a in answers.items()
            if d not in refused
            and d not in effected
            and a.headers.get("x-road-id") not in parked_ids
            and not _explained(late.get(d))
        )[:5],
        "doubled": sorted(d for d, n in provider.effects.items() if n > 1)[:5],
        "refused_but_effected": sorted(refused & effected)[:5],
        "ok_without_effect": sorted(
            d for d, a in answers.items() if a.status_code == 200 and d not in effected
        )[:5],
        "unlogged": sorted(d for d, a in answers.items() if a.headers.get("x-road-id") not in logged)[:5],
        "dead_letters": len(parked),
    }
    print("\noutage chaos reconciliation\n" + "\n".join(f"  {k:<22} {v}" for k, v in table.items()))
    print(f"  faults {dict(faults)}  statuses {dict(statuses)}")
    for dossier in table["lost"]:
        answer = answers[dossier]
        print(f"  lost {dossier}: {answer.status_code} {answer.text[:200]} {late.get(dossier)}")
    print(f"  attempts of doubled {[provider.attempts[d] for d in table['doubled']]}")
    print(f"  cancelled mid-call {provider.cancelled}")
    print(f"  worker stats {[dict(w.stats) for w in workers]}")
    assert faults["broker_cut"] >= 1 and faults["redis_cut"] >= 1 and faults["broker_black_hole"] >= 1
    assert len(answers) == len(sent) >= REQUESTS
    assert not any(a.status_code == 500 for a in answers.values()), statuses
    for key in ("lost", "doubled", "refused_but_effected", "ok_without_effect", "unlogged"):
        assert table[key] == [], f"{key}: {table[key]}"


async def dead_letters(amqp_url: str, redis_url: str, prefix: str, queues: list[str]) -> list[DeadLetter]:
    """The dead letters, read straight from the broker and Redis (not through the proxies)."""
    transport, store = AmqpTransport(amqp_url), RedisStore(redis_url, prefix=prefix)
    await transport.connect()
    try:
        return await DeadLetterQueues(transport, store, queues).letters(limit=10 * REQUESTS)
    finally:
        await transport.close()
        await store.close()


def served_queues(catalog: Any) -> list[str]:
    return [s.id.queue_name for s in catalog.services if s.id.service_code == "Count"]


def _explained(state: dict[str, Any] | None) -> bool:
    """A followed request that ended without effect for a reason the bus stated: refused by the broker,
    or in doubt from the start (its send was cut; the caller was never told it was accepted)."""
    if state is None:
        return False
    if state.get("status") in (502, 503):
        return True
    error = state.get("error") or {}
    return state.get("status") == 504 and "may have been accepted" in str(error.get("message"))
