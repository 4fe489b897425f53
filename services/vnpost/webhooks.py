"""The optional webhook: one POST per status change, found by scanning a heap of due orders.

A scan runs every `webhook_scan_interval_s` and right after the clock is advanced; changes wait in a bounded
queue (overflow is counted, not stored) and one sender delivers them in order, retrying with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import hmac
import itertools
import logging
import random

import httpx

from services.clock import SimulatedClock
from services.outbound import BackgroundTasks, Delivery, RetryPolicy, deliver_with_retries, every
from services.vnpost.models import Effects, StatusChange
from services.vnpost.orders import Order
from services.vnpost.settings import VnpostSettings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-VNPost-Signature"


def sign_webhook(body: bytes, secret: str) -> str:
    """The signature header's value: `sha256=` and the HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """Finds status changes as the simulated clock passes them and POSTs them to `url`."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        clock: SimulatedClock,
        settings: VnpostSettings,
        effects: Effects,
    ) -> None:
        self._url = url
        self._client = client
        self._clock = clock
        self._settings = settings
        self._secret = settings.webhook_secret.get_secret_value()
        self._effects = effects
        self._due: list[tuple[float, int, Order]] = []  # (due at, tie-breaker, order)
        self._pushes = itertools.count()
        self._notified: dict[int, int] = {}  # order id → events already announced
        self._queue: asyncio.Queue[StatusChange] = asyncio.Queue(settings.webhook_queue_size)
        self._rng = random.Random(settings.seed)
        self._retry = RetryPolicy(settings.webhook_attempts, settings.webhook_backoff_s)
        self._tasks = BackgroundTasks()

    def watch(self, order: Order) -> None:
        """Announce this order's changes from now on (its acceptance is due at once)."""
        self._notified.setdefault(order.id, 0)
        heapq.heappush(self._due, (order.journey[0].at, next(self._pushes), order))

    def rewatch(self, order: Order) -> None:
        """The order's future changed (cancelled): look at it again at once."""
        heapq.heappush(self._due, (self._clock.now(), next(self._pushes), order))

    def scan(self) -> None:
        """Queue every change that has happened by now and was not announced yet."""
        now = self._clock.now()
        while self._due and self._due[0][0] <= now:
            _, _, order = heapq.heappop(self._due)
            events = order.events_until(now)
            for event in events[self._notified[order.id] :]:
                try:
                    self._queue.put_nowait(order.status_change(event))
                except asyncio.QueueFull:
                    self._effects.webhooks_dropped += 1
            self._notified[order.id] = max(self._notified[order.id], len(events))
            next_at = order.next_change_after(now)
            if next_at is not None:
                heapq.heappush(self._due, (next_at, next(self._pushes), order))

    def start(self) -> None:
        """Start the scanner and the sender tasks."""
        self._tasks.spawn(every(self._settings.webhook_scan_interval_s, self.scan))
        self._tasks.spawn(self._send_forever())

    async def aclose(self) -> None:
        """Stop both tasks; changes still queued are not sent."""
        await self._tasks.aclose()

    async def _send_forever(self) -> None:
        while True:
            change = await self._queue.get()
            if await self._deliver(change):
                self._effects.webhooks_sent += 1
            else:
                self._effects.webhooks_failed += 1

    async def _deliver(self, change: StatusChange) -> bool:
        timeout = self._settings.webhook_timeout_s

        async def attempt() -> Delivery:
            body = change.model_dump_json().encode()
            headers = {"content-type": "application/json", SIGNATURE_HEADER: sign_webhook(body, self._secret)}
            try:
                response = await self._client.post(self._url, content=body, headers=headers, timeout=timeout)
            except httpx.HTTPError as exc:
                log.info("webhook for %s failed: %s", change.OrderNumber, exc)
                return Delivery.FAILED
            return Delivery.SENT if response.is_success else Delivery.FAILED

        return await deliver_with_retries(attempt, self._retry, self._rng) is Delivery.SENT
