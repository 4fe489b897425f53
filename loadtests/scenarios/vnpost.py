"""VNPost: a result sent home by public postal service (order), then its tracking.

The VNPost adapter's canonical models were not written when these were; field names follow VNPost's
postOrder in snake_case. The scenario is skipped while the catalog has no such service.
"""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys

POST_ORDER = "postOrder"
TRACKING = "getOrderTracking"


def _order(draw: Draw) -> Steps:
    receiver = draw.citizen(lambda c: c.birth_date.year <= 2005)
    order_number = draw.unique("VNP")
    body = {
        "order_number": order_number,
        "cod_amount": 0,
        "sender_name": "Trung tâm Phục vụ hành chính công Hải Phòng",
        "sender_address": "18 Hoàng Diệu, Hồng Bàng",
        "sender_tel": "02253822000",
        "sender_province": "31",
        "sender_district": "303",
        "receiver_name": receiver.full_name,
        "receiver_address": receiver.current_address.detail or "Hải Phòng",
        "receiver_tel": f"09{draw.rng.randint(10_000_000, 99_999_999)}",
        "receiver_province": "31",
        "receiver_district": "304",
        "description": f"Trả kết quả hồ sơ {order_number}",
    }

    def accepted(answer: Any) -> str | None:
        return expect_keys(answer, "status")

    yield Step(POST_ORDER, body, accepted)

    def tracked(answer: Any) -> str | None:
        if not isinstance(answer, dict | list):
            return f"tracking answered {str(answer)[:80]}"
        return None if order_number in str(answer) or answer else f"no tracking for {order_number}"

    yield Step(TRACKING, {"page_size": 20}, tracked)


SEND_BY_POST = Scenario("VNPost order and tracking", (POST_ORDER, TRACKING), _order)
