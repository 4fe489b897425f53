"""Confirmation callbacks (IPN): sent to the partner after a delay, retried with backoff, sometimes lost.

Every callback is one asyncio task, at most `max_scheduled_callbacks` at a time; `aclose` cancels them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

import httpx
from pydantic import ValidationError

from services.outbound import BackgroundTasks, Delivery, RetryPolicy, deliver_with_retries
from services.payment.checksum import CONFIRM_FIELDS, compute_checksum
from services.payment.ledger import Effects, Payment
from services.payment.models import Confirmation, ConfirmationReply
from services.payment.settings import PaymentSettings

log = logging.getLogger(__name__)

PAID = "00"


def build_confirmation(payment: Payment, secret: str) -> Confirmation:
    """The signed IPN for a succeeded payment."""
    request = payment.request
    fields: dict[str, object] = {
        "LoaiBanTin": "IPN",
        "MaLoi": PAID,
        "MaDoiTac": request.MaDoiTac,
        "MaThamChieu": request.MaThamChieu,
        "SoTien": request.SoTien,
        "MaTienTe": request.MaTienTe,
        "MaGiaoDich": payment.transaction_id,
        "MaNganHang": payment.bank_code,
        "ThoiGianGD": payment.completed_at,
        "ThongTinGiaoDich": request.ThongTinGiaoDich,
    }
    return Confirmation.model_validate(
        {**fields, "MaXacThuc": compute_checksum(CONFIRM_FIELDS, fields, secret)}
    )


class ConfirmationSender:
    """Schedules and delivers confirmations; counts what happened in `effects`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: PaymentSettings,
        effects: Effects,
        should_lose: Callable[[], bool],
        rng: random.Random,
    ) -> None:
        self._client = client
        self._settings = settings
        self._effects = effects
        self._should_lose = should_lose
        self._rng = rng
        self._retry = RetryPolicy(
            settings.callback_attempts, settings.callback_backoff_s, settings.time_scale
        )
        self._tasks = BackgroundTasks()

    @property
    def in_flight(self) -> int:
        """Callbacks scheduled and not yet delivered or given up."""
        return len(self._tasks)

    def schedule(self, payment: Payment) -> None:
        """Send the payment's confirmation later, unless it is to be lost or the partner has no URL."""
        partner = self._settings.partners[payment.partner]
        if partner.callback_url is None:
            return
        if self._should_lose():
            self._effects.callbacks_lost += 1
            return
        if len(self._tasks) >= self._settings.max_scheduled_callbacks:
            # Bounded memory beats a complete record: the partner will have to poll, as for a lost one.
            self._effects.callbacks_dropped += 1
            return
        confirmation = build_confirmation(payment, partner.secret)
        self._tasks.spawn(self._deliver(str(partner.callback_url), confirmation))
        self._effects.callbacks_scheduled += 1

    async def _deliver(self, url: str, confirmation: Confirmation) -> None:
        settings = self._settings
        scale = settings.time_scale
        await asyncio.sleep(
            self._rng.uniform(settings.confirm_delay_min_s, settings.confirm_delay_max_s) * scale
        )

        async def attempt() -> Delivery:
            return Delivery.SENT if await self._post(url, confirmation) else Delivery.FAILED

        outcome = await deliver_with_retries(attempt, self._retry, self._rng, on_attempt=self._count_attempt)
        if outcome is Delivery.SENT:
            self._effects.callbacks_sent += 1
            return
        self._effects.callbacks_failed += 1
        log.warning(
            "confirmation of %s not taken after %d attempts",
            confirmation.MaThamChieu,
            settings.callback_attempts,
        )

    def _count_attempt(self, attempt: int) -> None:
        self._effects.callbacks_attempts += 1

    async def _post(self, url: str, confirmation: Confirmation) -> bool:
        """One attempt: True when the partner answered MaLoi "00"."""
        try:
            response = await self._client.post(
                url, json=confirmation.model_dump(mode="json"), timeout=self._settings.callback_timeout_s
            )
            return ConfirmationReply.model_validate_json(response.content).MaLoi == PAID
        except (httpx.HTTPError, ValidationError) as exc:
            log.info("confirmation of %s to %s failed: %s", confirmation.MaThamChieu, url, exc)
            return False

    async def aclose(self) -> None:
        """Cancel every pending callback and wait for the tasks to end."""
        await self._tasks.aclose()
