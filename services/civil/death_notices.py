"""Deaths registered at the civil registry, reported to the population database of another process
(POST /api/v1/dinhdanh/khaitu), so that it records them and its death feed carries them on to the
residence database. A notice it did not take (no answer, 5xx) stays pending and is sent again, at once
with the next death and every `retry_s` seconds; one it refuses (4xx) is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import date

import httpx

NOTICE_PATH = "/api/v1/dinhdanh/khaitu"
_log = logging.getLogger(__name__)


class DeathNotices:
    """Pending death notices by the death dossier's maHoSo (their MaYeuCau: a re-sent one is a replay)."""

    def __init__(self, client: httpx.AsyncClient, timeout_s: float) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self._pending: OrderedDict[str, tuple[str, date]] = OrderedDict()
        self._sending = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, code: str, id_number: str, day: date) -> None:
        """A death to report."""
        self._pending[code] = (id_number, day)

    async def flush(self) -> None:
        """Send every pending notice once, in order; those not taken stay pending."""
        async with self._sending:
            for code, (id_number, day) in list(self._pending.items()):
                body = {"MaYeuCau": code, "SoDinhDanh": id_number, "NgayMat": f"{day:%Y%m%d}"}
                try:
                    response = await self.client.post(NOTICE_PATH, json=body, timeout=self.timeout_s)
                except httpx.HTTPError as exc:
                    _log.info("death notice %s not delivered: %s", code, exc)
                    return  # the population database is unreachable: keep the order, try later
                if response.status_code >= 500 or response.status_code == 429:
                    return
                if response.status_code >= 400:
                    _log.warning(
                        "the population database refused death notice %s: %s", code, response.text[:300]
                    )
                del self._pending[code]

    async def keep_sending(self, retry_s: float) -> None:
        """Flush every `retry_s` seconds, until cancelled."""
        while True:
            await asyncio.sleep(retry_s)
            await self.flush()
