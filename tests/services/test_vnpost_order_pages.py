"""getOrderTracking's pages of a customer's orders (OrderBook.page): the orders after a cursor, found by
halving the customer's orders (ids grow in posting order), not by scanning them all."""

from __future__ import annotations

import math
from typing import Any

import pytest

from services.vnpost.models import PostOrderRequest
from services.vnpost.orders import Order, OrderBook

CUSTOMER, OTHER = "HPG_STP", "HPG_CA"


def _request(customer: str, number: int) -> PostOrderRequest:
    return PostOrderRequest(
        CustomerCode=customer, OrderNumber=f"DH-{number:06d}", CODAmount=0, SenderProvince="31",
        SenderDistrict="303", SenderAddress="Số 1 Lê Đại Hành, Hồng Bàng", SenderName="Sở Tư pháp Hải Phòng",
        SenderTel="02253842515", ReceiverName="Phạm Thị Lan", ReceiverAddress="Số 12 Lạch Tray, Ngô Quyền",
        ReceiverTel="0912345678", ReceiverProvince="31", ReceiverDistrict="304", Description="Trả kết quả",
    )  # fmt: skip


def _book(orders: int, every_other_for: str = CUSTOMER) -> tuple[OrderBook, list[Order]]:
    """A book where the customer's orders are interleaved with another's (gaps in its ids); the
    customer's orders, in posting order."""
    book = OrderBook(seed=31, failed_attempt_rate=0.1, return_rate=0.1)
    mine: list[Order] = []
    for number in range(orders):
        customer = every_other_for if number % 3 else OTHER
        order, _ = book.post(_request(customer, number), now=1_000.0 + number)
        if customer == every_other_for:
            mine.append(order)
    return book, mine


def test_pages_are_the_orders_after_the_cursor_whatever_the_gaps_and_cancellations() -> None:
    book, mine = _book(60)
    for order in mine[::4]:
        book.cancel(CUSTOMER, order.request.OrderNumber, now=1_100.0)
    highest = mine[-1].id
    for page_size in (1, 3, 20, 100):
        for last_id in range(0, highest + 2):
            expected = [order for order in mine if order.id > last_id][:page_size]
            assert book.page(CUSTOMER, page_size, last_id) == (expected, len(mine))
    assert book.page("HPG_NONE", 20, 0) == ([], 0)


class _CountedIds:
    """Counts the reads of Order.id while installed (a data descriptor, so it comes before the
    instance's own attribute)."""

    def __init__(self) -> None:
        self.reads = 0

    def __get__(self, order: Order, owner: Any = None) -> int:
        self.reads += 1
        return int(order.__dict__["id"])

    def __set__(self, order: Order, value: int) -> None:
        order.__dict__["id"] = value


@pytest.mark.parametrize("orders", [300, 3_000])
def test_a_page_reads_a_handful_of_ids_however_many_orders_the_customer_has(
    orders: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, mine = _book(orders)
    cursor = mine[len(mine) // 2].id
    counted = _CountedIds()
    monkeypatch.setattr(Order, "id", counted, raising=False)
    page, _ = book.page(CUSTOMER, 10, cursor)
    assert len(page) == 10
    assert counted.reads <= math.ceil(math.log2(len(mine) + 1)), f"{counted.reads} of {len(mine)} ids read"
