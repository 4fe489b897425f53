"""Payment platform mock (PayGov-like, protocol 1.0.6). Run alone: `lgsp mock payment`.

    from services.payment import PaymentSettings, create_app
    app = create_app(PaymentSettings(time_scale=0.05))   # confirmations 20× sooner

Initiate with curl (MaXacThuc = sha256 of INIT_FIELDS' values joined with "|", secret last):

    curl -s localhost:8103/api/v1/init -H 'content-type: application/json' -d @init.json
    → {"error_code":"0","message":{"UrlThanhToan":"http://127.0.0.1:8103/pay/…"}}
"""

from services.payment.app import create_app
from services.payment.checksum import CONFIRM_FIELDS, INIT_FIELDS, QUERY_FIELDS, QUERY_RESULT_FIELDS
from services.payment.codes import PaymentCode
from services.payment.settings import DEFAULT_PARTNER, PartnerConfig, PaymentSettings

__all__ = [
    "CONFIRM_FIELDS",
    "DEFAULT_PARTNER",
    "INIT_FIELDS",
    "QUERY_FIELDS",
    "QUERY_RESULT_FIELDS",
    "PartnerConfig",
    "PaymentCode",
    "PaymentSettings",
    "create_app",
]
