"""Progress reports to the portal, through the LGSP gateway, as the simulated clock passes each step.

Each dossier holds one token: it sits either in the heap of due times or with a sender, never both, so
its steps are reported in order while several dossiers are reported at once. A scan runs every
`report_scan_interval_s` and right after the clock is advanced. A report the gateway refuses (4xx) is
counted and skipped; one that fails (5xx, 429, no answer) is retried with backoff and jitter, then the
dossier is parked and tried again later: nothing is dropped, and memory stays bounded by the dossiers kept.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import uuid

import httpx

from services.clock import SimulatedClock
from services.motcua.book import Dossier, DossierBook, as_datetime
from services.motcua.models import Effects, ProgressReport
from services.motcua.settings import MotcuaSettings
from services.outbound import BackgroundTasks, Delivery, RetryPolicy, deliver_with_retries, every

log = logging.getLogger(__name__)


class ProgressReporter:
    """Finds status changes as the simulated clock passes them and reports them to the gateway."""

    def __init__(
        self,
        book: DossierBook,
        client: httpx.AsyncClient,
        clock: SimulatedClock,
        settings: MotcuaSettings,
        effects: Effects,
    ) -> None:
        self._book = book
        self._client = client
        self._clock = clock
        self._settings = settings
        self._effects = effects
        self._url = f"{(settings.gateway_url or '').rstrip('/')}/r1/{settings.progress_service}"
        self._due: list[tuple[float, int, str]] = []  # (due at, tie-breaker, maHoSo)
        self._pushes = itertools.count()
        self._queue: asyncio.Queue[Dossier] = asyncio.Queue(settings.report_queue_size)
        self._rng = random.Random(settings.seed)
        self._retry = RetryPolicy(settings.report_attempts, settings.report_backoff_s)
        self._tasks = BackgroundTasks()

    def watch(self, dossier: Dossier) -> None:
        """Report this new dossier's steps from now on."""
        self._push(dossier)

    def scan(self) -> None:
        """Hand every dossier with a step due and unreported to the senders."""
        now = self._clock.now()
        while self._due and self._due[0][0] <= now:
            _, _, number = heapq.heappop(self._due)
            dossier = self._book.find(number)
            if dossier is None:  # forgotten to keep the book bounded
                continue
            try:
                self._queue.put_nowait(dossier)
            except asyncio.QueueFull:
                self._effects.reports_deferred += 1
                self._push(dossier, at=now + self._settings.report_scan_interval_s * self._clock.speed)
                break

    def start(self) -> None:
        """Start the scanner and the senders."""
        self._tasks.spawn(every(self._settings.report_scan_interval_s, self.scan))
        for _ in range(self._settings.report_concurrency):
            self._tasks.spawn(self._send_forever())

    async def aclose(self) -> None:
        """Stop every task; steps not yet reported stay unreported."""
        await self._tasks.aclose()

    def _push(self, dossier: Dossier, at: float | None = None) -> None:
        if dossier.reported >= len(dossier.steps):
            return
        due = dossier.steps[dossier.reported].at if at is None else at
        heapq.heappush(self._due, (due, next(self._pushes), dossier.wire.maHoSo))

    async def _send_forever(self) -> None:
        while True:
            dossier = await self._queue.get()
            parked = await self._report_due_steps(dossier)
            self._push(dossier, at=self._clock.now() + self._settings.report_park_s * self._clock.speed
                       if parked else None)  # fmt: skip

    async def _report_due_steps(self, dossier: Dossier) -> bool:
        """Report the dossier's due steps in order; True when one kept failing (the dossier is parked)."""
        while (
            dossier.reported < len(dossier.steps) and dossier.steps[dossier.reported].at <= self._clock.now()
        ):
            outcome = await self._deliver(dossier, dossier.reported)
            if outcome is Delivery.FAILED:
                self._effects.reports_deferred += 1
                return True
            if outcome is Delivery.SENT:
                self._effects.reports_sent += 1
            else:
                self._effects.reports_rejected += 1
            dossier.reported += 1
        return False

    async def _deliver(self, dossier: Dossier, index: int) -> Delivery:
        step = dossier.steps[index]
        report = ProgressReport(
            dossier_number=dossier.wire.maHoSo,
            status=step.status,
            updated_at=as_datetime(step.at),
            note=step.note,
            officer=step.officer,
            unit=dossier.wire.donViXuLy,
        )
        headers = {
            "X-Road-Client": self._settings.client_id,
            "X-Api-Key": self._settings.api_key.get_secret_value(),
            "X-Road-Issue": dossier.wire.maHoSo,
            # The same step re-sent after a lost answer must not be applied twice.
            "Idempotency-Key": f"{dossier.wire.maHoSo}:{index}:{step.status}",
        }
        timeout = self._settings.report_timeout_s

        async def attempt() -> Delivery:
            try:
                response = await self._client.post(
                    self._url,
                    json=report.model_dump(mode="json"),
                    headers={**headers, "X-Road-Id": str(uuid.uuid4())},
                    timeout=timeout,
                )
            except httpx.HTTPError as exc:
                log.info(
                    "progress of %s (status %s) not delivered: %s", report.dossier_number, step.status, exc
                )
                return Delivery.FAILED
            if response.is_success:
                return Delivery.SENT
            if 400 <= response.status_code < 500 and response.status_code != 429:
                log.warning("progress of %s (status %s) refused: %s %s", report.dossier_number, step.status,
                            response.status_code, response.text[:300])  # fmt: skip
                return Delivery.REJECTED
            log.info(
                "progress of %s (status %s): HTTP %s",
                report.dossier_number,
                step.status,
                response.status_code,
            )
            return Delivery.FAILED

        return await deliver_with_retries(attempt, self._retry, self._rng, on_attempt=self._count_retry)

    def _count_retry(self, attempt: int) -> None:
        if attempt:
            self._effects.reports_retried += 1
