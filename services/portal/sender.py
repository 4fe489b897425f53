"""Send generated dossiers into the LGSP gateway at a steady rate and tally the answers by status."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import httpx
from pydantic import BaseModel, Field

from services.portal.dossiers import DossierFactory, HoSoMC
from services.portal.progress import DossierBook
from services.portal.settings import PortalSettings


class SendRequest(BaseModel):
    """A send run: how many dossiers, how fast (bounds come from PortalSettings)."""

    count: int = Field(ge=1)
    rate_per_second: float = Field(gt=0)


class SendSummary(BaseModel):
    """What the gateway answered: counts by HTTP status, or by `error:<kind>` when no answer came."""

    requested: int
    sent: int
    by_status: dict[str, int]
    seconds: float
    dossiers: list[str]


def check_bounds(run: SendRequest, settings: PortalSettings) -> str | None:
    """Why the run exceeds the configured bounds, or None when it does not."""
    if run.count > settings.max_send_count:
        return f"count {run.count} exceeds the limit of {settings.max_send_count}"
    if run.rate_per_second > settings.max_rate_per_second:
        return f"rate_per_second {run.rate_per_second} exceeds the limit of {settings.max_rate_per_second}"
    planned = run.count / run.rate_per_second
    if planned > settings.max_send_seconds:
        return f"the run would take {planned:.0f} s, over the limit of {settings.max_send_seconds:.0f} s"
    return None


class DossierSender:
    """Posts dossiers to `{gateway}/r1/{service}` as the portal's X-Road client."""

    def __init__(
        self,
        settings: PortalSettings,
        factory: DossierFactory,
        book: DossierBook,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.book = book
        self.transport = transport

    @property
    def url(self) -> str:
        """Where dossiers go."""
        return f"{self.settings.gateway_url.rstrip('/')}/r1/{self.settings.service_id}"

    async def run(self, run: SendRequest) -> SendSummary:
        """Send `run.count` new dossiers, the i-th at start + i/rate, at most max_in_flight at once."""
        tally: Counter[str] = Counter()
        slots = asyncio.Semaphore(self.settings.max_in_flight)
        sent: list[str] = []
        start = time.monotonic()
        timeout = httpx.Timeout(self.settings.request_timeout_s)
        async with httpx.AsyncClient(transport=self.transport, timeout=timeout) as client:
            async with asyncio.TaskGroup() as tasks:
                for i in range(run.count):
                    await asyncio.sleep(max(0.0, start + i / run.rate_per_second - time.monotonic()))
                    await slots.acquire()
                    dossier = self.factory.next_dossier()
                    self.book.add(dossier)
                    sent.append(dossier.MaHoSo)
                    tasks.create_task(self._send_one(client, dossier, tally, slots))
        return SendSummary(
            requested=run.count,
            sent=len(sent),
            by_status=dict(sorted(tally.items())),
            seconds=round(time.monotonic() - start, 3),
            dossiers=sent,
        )

    async def _send_one(
        self, client: httpx.AsyncClient, dossier: HoSoMC, tally: Counter[str], slots: asyncio.Semaphore
    ) -> None:
        headers = {
            "X-Road-Client": self.settings.client_id,
            "X-Api-Key": self.settings.api_key.get_secret_value(),
            "X-Road-Id": str(uuid.uuid4()),
            "X-Road-Issue": dossier.MaHoSo,
            # Synchronising one dossier twice must not create it twice on the province's side.
            "Idempotency-Key": dossier.MaHoSo,
        }
        try:
            response = await client.post(self.url, json=dossier.model_dump(mode="json"), headers=headers)
            tally[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            tally[f"error:{type(exc).__name__}"] += 1
        finally:
            slots.release()
