"""The payment platform adapter (PayGov, NAPAS): initiate, query and refund payments, verify confirmations."""

from adapters.payment.adapter import INITIATE, REFUND, STATUS, PaymentAdapter, PaymentConfig, create_adapter
from adapters.payment.book import InitiatedPayment, PaymentBook
from adapters.payment.confirmation import Confirmation, verify_confirmation
from adapters.payment.models import (
    Dossier,
    Fee,
    InitiatePaymentRequest,
    InitiatePaymentResponse,
    PaymentStatusRequest,
    PaymentStatusResponse,
    RefundRequest,
    RefundResponse,
)

__all__ = [
    "INITIATE",
    "REFUND",
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
    "RefundRequest",
    "RefundResponse",
    "create_adapter",
    "verify_confirmation",
]
