"""The mock's answer codes (`Status`) with their HTTP status.

    Status  HTTP  meaning
    00      200   Thành công                                    success
    01      400   Dữ liệu không hợp lệ                          malformed or missing field
    02      409   Mã đơn hàng đã tồn tại với nội dung khác      OrderNumber reused with other content
    03      404   Không tìm thấy đơn hàng                       unknown order
    04      409   Đơn hàng không thể hủy ở trạng thái hiện tại  not cancellable any more
Token problems are answered the OAuth2 way instead: 400/401 `{error, error_description}`.
"""

from __future__ import annotations

from enum import StrEnum

from services.vnpost.models import OrderAnswer


class VnpostCode(StrEnum):
    """A `Status` of the VNPost mock."""

    OK = "00"
    INVALID = "01"
    ORDER_CONFLICT = "02"
    UNKNOWN_ORDER = "03"
    NOT_CANCELLABLE = "04"


HTTP_STATUS = {
    VnpostCode.OK: 200,
    VnpostCode.INVALID: 400,
    VnpostCode.ORDER_CONFLICT: 409,
    VnpostCode.UNKNOWN_ORDER: 404,
    VnpostCode.NOT_CANCELLABLE: 409,
}


class VnpostError(Exception):
    """A refused request, rendered as `{Status, Message}` with the code's HTTP status."""

    def __init__(self, code: VnpostCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """HTTP status of the answer."""
        return HTTP_STATUS[self.code]

    def answer(self) -> OrderAnswer:
        """The answer body."""
        return OrderAnswer(Status=self.code, Message=self.message)
