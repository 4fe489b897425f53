"""PayGov's confirmation callback (IPN), verified and de-duplicated, turned into a bus event.

POST /callbacks/paygov/{partner} → "payment.confirmed" / "payment.failed". PayGov is answered
`{MaLoi, MoTaLoi}` with HTTP 200, as its protocol wants (VNPay-style codes):
    00 taken            01 unknown reference      02 already confirmed (replay: no second event)
    04 amount/currency differs from the initiated one     97 bad checksum or unknown partner
    99 anything else: malformed, or the event could not be published (PayGov delivers again)
The partner's secret is the payment adapter's own (`PaymentConfig.secret`, its catalog section).
A refused confirmation publishes nothing and records nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, SecretStr

from adapters.payment.book import PaymentBook
from adapters.payment.confirmation import Confirmation, confirmation_data, verify_confirmation
from bus.events import BusEvent, event_id_for
from bus.inbound import InboundContext, InboundRefused, parse_body

log = logging.getLogger(__name__)

PAYMENT_SOURCE = "VN/GOV/NAPAS/PAYGOV/KhoiTaoThanhToan/v1"
PartnerCode = Annotated[str, Path(max_length=255, description="MaDoiTac")]


class IpnReply(BaseModel):
    """The answer PayGov reads: MaLoi "00" means taken."""

    MaLoi: str
    MoTaLoi: str


class _Refused(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class PaygovConfirmations:
    """Checks an IPN against the partner's secret and the payment the bus initiated; publishes it once."""

    def __init__(self, partners: Mapping[str, SecretStr], inbound: InboundContext) -> None:
        self.partners = dict(partners)
        self.inbound = inbound
        self.payments = PaymentBook(inbound.store)

    async def confirm(self, partner: str, request: Request) -> IpnReply:
        """Verify one IPN and publish its event once; every refusal says why."""
        try:
            confirmation = parse_body(Confirmation, await self.inbound.read_body(request))
            event = await self._event(partner, confirmation, request)
            key = f"paygov:{partner}:{confirmation.MaThamChieu}"
            if not await self.inbound.publish_once(key, event):
                raise _Refused("02", "already confirmed: replay ignored")
        except InboundRefused as refused:
            return self._refuse(partner, _Refused("99", refused.reason))
        except _Refused as refused:
            return self._refuse(partner, refused)
        return IpnReply(MaLoi="00", MoTaLoi="Thành công")

    def _refuse(self, partner: str, refused: _Refused) -> IpnReply:
        log.warning("PayGov callback for %s refused (%s): %s", partner, refused.code, refused.reason)
        return IpnReply(MaLoi=refused.code, MoTaLoi=refused.reason)

    async def _event(self, partner: str, ipn: Confirmation, request: Request) -> BusEvent:
        secret = self.partners.get(partner)
        if secret is None or ipn.MaDoiTac != partner:
            raise _Refused("97", f"unknown partner {partner!r} or MaDoiTac {ipn.MaDoiTac!r} differs")
        if not verify_confirmation(ipn, secret.get_secret_value()):
            raise _Refused("97", "bad checksum (MaXacThuc)")
        if ipn.LoaiBanTin != "IPN":
            raise _Refused("99", f"LoaiBanTin {ipn.LoaiBanTin!r} is not IPN")
        payment = await self.payments.find(partner, ipn.MaThamChieu)
        if payment is None:
            raise _Refused("01", f"unknown reference (MaThamChieu) {ipn.MaThamChieu!r}")
        if ipn.SoTien != payment.amount_vnd or ipn.MaTienTe != "VND":
            raise _Refused("04", f"SoTien {ipn.SoTien} {ipn.MaTienTe} is not the initiated amount")
        return BusEvent(
            event_id=event_id_for(f"paygov:{partner}:{ipn.MaThamChieu}"),
            type="payment.confirmed" if ipn.paid else "payment.failed",
            source=PAYMENT_SOURCE,
            trace=self.inbound.trace_of(request),
            data=json.loads(json.dumps(confirmation_data(ipn, payment))),
        )


def paygov_router(partners: Mapping[str, SecretStr], inbound: InboundContext) -> APIRouter:
    """`POST /paygov/{partner}` (under the gateway's /callbacks), trusting `partners`' secrets."""
    confirmations = PaygovConfirmations(partners, inbound)
    router = APIRouter(tags=["callbacks"])

    @router.post("/paygov/{partner}", response_model=IpnReply)
    async def paygov_confirmation(partner: PartnerCode, request: Request) -> IpnReply:
        """PayGov's payment confirmation (IPN), signed with the partner's shared secret."""
        return await confirmations.confirm(partner, request)

    return router
