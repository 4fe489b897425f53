"""The payment platform adapter (PayGov, NAPAS): initiate a payment, query its state, verify confirmations."""

from adapters.payment.adapter import INITIATE, STATUS, PaymentAdapter, PaymentConfig, create_adapter
from adapters.payment.book import InitiatedPayment, PaymentBook
from adapters.payment.confirmation import Confirmation, verify_confirmation
from adapters.payment.models import (
    Dossier,
    Fee,
    InitiatePaymentRequest,
    InitiatePaymentResponse,
    PaymentStatusRequest,
    PaymentStatusResponse,
)

__all__ = [
    "INITIATE",
    "STATUS",
    "Confirmation",
    "Dossier",
    "Fee",
    "InitiatePaymentRequest",
    "InitiatePaymentResponse",
    "InitiatedPayment",
    "PaymentAdapter",
    "PaymentBook",
    "PaymentConfig",
    "PaymentStatusRequest",
    "PaymentStatusResponse",
    "create_adapter",
    "verify_confirmation",
]
