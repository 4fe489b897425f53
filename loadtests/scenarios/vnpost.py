"""VNPost: a result sent home by public postal service (postOrder), then its tracking.

Tracking pages through all of the customer's orders after a cursor (`after_id`), oldest first; the
customer is shared by every simulated user, so it holds every order of the run. The scenario tracks
from the highest order id seen before posting (`TrackingCursor`): order ids grow in posting order, so
the new order is among the few posted since, however long the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loadtests.scenarios.base import Draw, Scenario, Step, Steps, expect_keys

POST_ORDER = "postOrder"
TRACKING = "getOrderTracking"
PAGE_SIZE = 100
PAGES_PER_CALL = 5
# Tracking calls one order may take: 5,000 orders posted between the cursor and it (minutes of
# the heaviest mix); past them the order counts as not tracked.
MAX_TRACKING_CALLS = 10
CENTRE = {
    "name": "Trung tâm Phục vụ hành chính công Hải Phòng",
    "phone": "02253822000",
    "address": "18 Hoàng Diệu, Hồng Bàng, Hải Phòng",
    "province_code": "31",
    "district_code": "303",
}


@dataclass
class TrackingCursor:
    """The highest VNPost order id this process has seen in tracking answers: every order with that id
    or below was posted before it was seen, so an order posted later has a higher id."""

    highest: int = 0

    def saw(self, answer: dict[str, Any]) -> None:
        """Raise the cursor to the ids a (checked) tracking answer names."""
        ids = [int(item["id"]) for item in answer["items"]] + [int(answer.get("next_after_id") or 0)]
        self.highest = max(self.highest, *ids)


def _tracked(order_number: str, since: int, after_id: int, last_call: bool) -> Any:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "items", "complete")
        if problem:
            return problem
        strangers = [i.get("order_number") for i in answer["items"] if i.get("order_number") != order_number]
        if strangers:
            return f"tracking of {order_number} returned other orders: {strangers[:3]}"
        if any(not isinstance(i.get("id"), int) or i["id"] <= after_id for i in answer["items"]):
            return f"tracking of {order_number} after id {after_id} answered {str(answer['items'])[:120]}"
        if answer["items"]:
            return None
        if answer["complete"]:
            return f"order {order_number} just posted is not tracked (after id {after_id})"
        if not isinstance(answer.get("next_after_id"), int) or answer["next_after_id"] <= after_id:
            return f"tracking of {order_number} after id {after_id} stopped without a further cursor"
        if last_call:
            orders = MAX_TRACKING_CALLS * PAGES_PER_CALL * PAGE_SIZE
            return f"order {order_number} just posted is not among the {orders} orders after id {since}"
        return None  # not reached yet: the scenario follows the cursor

    return check


def send_by_post(cursor: TrackingCursor) -> Scenario:
    """The scenario, tracking from (and raising) `cursor`, which the users of one process share."""

    def order(draw: Draw) -> Steps:
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
            if answer["order_number"] != order_number:
                return f"order {order_number} answered for {answer}"
            return None

        since = after_id = cursor.highest  # read before posting: every id seen so far is an older order's
        yield Step(POST_ORDER, body, accepted)  # a refusal ends the scenario (`play`): nothing to track
        for call in range(1, MAX_TRACKING_CALLS + 1):
            query = {
                "order_number": order_number,
                "after_id": after_id,
                "page_size": PAGE_SIZE,
                "max_pages": PAGES_PER_CALL,
            }
            check = _tracked(order_number, since, after_id, last_call=call == MAX_TRACKING_CALLS)
            answer = yield Step(TRACKING, query, check)
            cursor.saw(answer)
            if answer["items"]:
                return
            after_id = answer["next_after_id"]

    return Scenario("VNPost order and tracking", (POST_ORDER, TRACKING), order)


TRACKED_FROM = TrackingCursor()
SEND_BY_POST = send_by_post(TRACKED_FROM)


def cursor_query(after_id: int) -> dict[str, Any]:
    """A tracking query for an order number no user draws: its answer keeps no entry, only the cursor
    (`next_after_id`) past the pages read, so calling it until `complete` moves a `TrackingCursor` to
    within one call's pages of the last order cheaply, before any order is tracked."""
    return {
        "order_number": "VNP-cursor",
        "after_id": after_id,
        "page_size": PAGE_SIZE,
        "max_pages": PAGES_PER_CALL,
    }
