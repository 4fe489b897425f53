"""The simulated payer's pages: the payment page behind UrlThanhToan and the page after choosing."""

from __future__ import annotations

from html import escape

from services.payment.ledger import Payment
from services.payment.models import Outcome

_OUTCOME_LABELS = {
    Outcome.SUCCESS: "Thanh toán thành công",
    Outcome.FAIL: "Thanh toán thất bại",
    Outcome.ABANDON: "Hủy giao dịch",
}


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def payment_page(payment: Payment) -> str:
    """The page a payer sees: the amount, the receipt lines and one button per outcome."""
    request = payment.request
    fees = "".join(
        f"<li>{escape(fee.TenPhiLePhi)}: {fee.SoTien:,} VND</li>" for fee in request.ThongTinBienLai.PhiLePhi
    )
    buttons = "".join(
        f'<button type="submit" name="outcome" value="{outcome.value}">{label}</button> '
        for outcome, label in _OUTCOME_LABELS.items()
    )
    body = (
        f"<p>Mã tham chiếu: {escape(request.MaThamChieu)}</p>"
        f"<p>Nội dung: {escape(request.ThongTinGiaoDich)}</p>"
        f"<p>Người nộp: {escape(request.ThongTinBienLai.HoTenNguoiNop)}</p>"
        f"<p>Số tiền: <strong>{request.SoTien:,} VND</strong></p><ul>{fees}</ul>"
        f'<form method="post" action="/pay/{escape(payment.token)}">{buttons}</form>'
    )
    return _page("Cổng thanh toán dịch vụ công (mô phỏng)", body)


def result_page(payment: Payment) -> str:
    """The page shown after the payer chose."""
    return _page("Kết quả giao dịch", f"<p>{escape(payment.reference)}: {escape(payment.state.value)}</p>")


def error_page(message: str) -> str:
    """A page for a bad payment link or a second attempt."""
    return _page("Không thể thực hiện giao dịch", f"<p>{escape(message)}</p>")
