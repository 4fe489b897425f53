"""The platform's own answer codes (`error_code`), each with its HTTP status and Vietnamese text.

code  HTTP  meaning
0     200   Thành công                               success
01    400   Dữ liệu không hợp lệ                     malformed or missing field
02    403   Mã đối tác không tồn tại                 unknown partner (MaDoiTac)
03    401   Sai mã xác thực                          bad checksum (MaXacThuc)
04    409   Mã tham chiếu đã tồn tại                 duplicate reference (MaThamChieu)
05    404   Không tìm thấy giao dịch                 unknown reference (MaThamChieu)
06    422   Số tiền không khớp                       wrong amount (SoTien)
07    409   Giao dịch đã được xử lý                  transaction already completed
99    500   Lỗi không xác định                       anything else
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class PaymentCode(StrEnum):
    """An `error_code` of the payment platform."""

    OK = "0"
    MALFORMED = "01"
    UNKNOWN_PARTNER = "02"
    BAD_CHECKSUM = "03"
    DUPLICATE_REFERENCE = "04"
    UNKNOWN_REFERENCE = "05"
    WRONG_AMOUNT = "06"
    ALREADY_COMPLETED = "07"
    INTERNAL = "99"


HTTP_STATUS: dict[PaymentCode, int] = {
    PaymentCode.OK: 200,
    PaymentCode.MALFORMED: 400,
    PaymentCode.UNKNOWN_PARTNER: 403,
    PaymentCode.BAD_CHECKSUM: 401,
    PaymentCode.DUPLICATE_REFERENCE: 409,
    PaymentCode.UNKNOWN_REFERENCE: 404,
    PaymentCode.WRONG_AMOUNT: 422,
    PaymentCode.ALREADY_COMPLETED: 409,
    PaymentCode.INTERNAL: 500,
}

TEXT: dict[PaymentCode, str] = {
    PaymentCode.OK: "Thành công",
    PaymentCode.MALFORMED: "Dữ liệu không hợp lệ",
    PaymentCode.UNKNOWN_PARTNER: "Mã đối tác không tồn tại",
    PaymentCode.BAD_CHECKSUM: "Sai mã xác thực",
    PaymentCode.DUPLICATE_REFERENCE: "Mã tham chiếu đã tồn tại",
    PaymentCode.UNKNOWN_REFERENCE: "Không tìm thấy giao dịch",
    PaymentCode.WRONG_AMOUNT: "Số tiền không khớp",
    PaymentCode.ALREADY_COMPLETED: "Giao dịch đã được xử lý",
    PaymentCode.INTERNAL: "Lỗi không xác định",
}


class ErrorAnswer(BaseModel):
    """The body of a refused request: `{error_code, message}`, message being text."""

    error_code: PaymentCode
    message: str


class PaymentError(Exception):
    """A request the platform refuses; rendered as an `ErrorAnswer` with the code's HTTP status."""

    def __init__(self, code: PaymentCode, detail: str | None = None) -> None:
        super().__init__(detail or TEXT[code])
        self.code = code
        self.detail = detail

    @property
    def status(self) -> int:
        """HTTP status of the answer."""
        return HTTP_STATUS[self.code]

    def answer(self) -> ErrorAnswer:
        """The answer body, the code's text followed by the detail."""
        text = TEXT[self.code] if self.detail is None else f"{TEXT[self.code]}: {self.detail}"
        return ErrorAnswer(error_code=self.code, message=text)
