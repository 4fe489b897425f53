"""VNPost: a result sent home by public postal service (postOrder), then its tracking."""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys

POST_ORDER = "postOrder"
TRACKING = "getOrderTracking"
CENTRE = {
    "name": "Trung tâm Phục vụ hành chính công Hải Phòng",
    "phone": "02253822000",
    "address": "18 Hoàng Diệu, Hồng Bàng, Hải Phòng",
    "province_code": "31",
    "district_code": "303",
}


def _order(draw: Draw) -> Steps:
    receiver = draw.citizen(lambda c: c.birth_date.year <= 2005)
    order_number = draw.unique("VNP")
    body = {
        "order_number": order_number,
        "sender": CENTRE,
        "receiver": {
            "name": receiver.full_name,
            "phone": f"09{draw.rng.randint(10_000_000, 99_999_999)}",
            "address": receiver.current_address.detail or "Hải Phòng",
            "province_code": "31",
            "district_code": "304",
        },
        "description": f"Trả kết quả hồ sơ {order_number}",
    }

    def accepted(answer: Any) -> str | None:
        problem = expect_keys(answer, "order_number", "item_code")
        if problem:
            return problem
        return (
            None if answer["order_number"] == order_number else f"order {order_number} answered for {answer}"
        )

    posted = yield Step(POST_ORDER, body, accepted)
    if posted is None:  # refused (e.g. Client.RateLimited) or wrong: no order to track
        return

    def tracked(answer: Any) -> str | None:
        problem = expect_keys(answer, "items", "complete")
        if problem:
            return problem
        strangers = [i.get("order_number") for i in answer["items"] if i.get("order_number") != order_number]
        if strangers:
            return f"tracking of {order_number} returned other orders: {strangers[:3]}"
        if answer["complete"] and not answer["items"]:
            return f"order {order_number} just posted is not tracked"
        return None

    yield Step(TRACKING, {"order_number": order_number, "page_size": 100, "max_pages": 5}, tracked)


SEND_BY_POST = Scenario("VNPost order and tracking", (POST_ORDER, TRACKING), _order)
