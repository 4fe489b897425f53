"""The VNPost scenario tracks only an order the bus answered posted, from a cursor taken before posting,
following it until the order is found; no two users draw one order number."""

from __future__ import annotations

import random
import re
from typing import Any

from loadtests.scenarios.base import RUN_TOKEN, Draw, Sent, Step, Steps, _started_token, play, user_tag
from loadtests.scenarios.vnpost import (
    MAX_TRACKING_CALLS,
    POST_ORDER,
    TRACKING,
    TrackingCursor,
    send_by_post,
)
from services.citizens import Population

PEOPLE = Population()


def _post_step(cursor: TrackingCursor) -> tuple[Step, Steps]:
    steps = send_by_post(cursor).run(Draw(random.Random(11), PEOPLE, "t"))
    step = next(steps)
    assert step.service_code == POST_ORDER
    return step, steps


def _posted(step: Step) -> tuple[str, dict[str, Any]]:
    assert step.body is not None
    number = step.body["order_number"]
    return number, {"order_number": number, "item_code": "EN000000001VN"}


def _item(number: str, id_: int) -> dict[str, Any]:
    return {"id": id_, "order_number": number}


def test_a_refused_post_order_is_not_followed_by_its_tracking() -> None:
    sent: list[str] = []

    def refuse(step: Step) -> Sent:  # e.g. the gateway's Client.RateLimited refusal
        sent.append(step.service_code)
        return False, None

    play(send_by_post(TrackingCursor()), Draw(random.Random(11), PEOPLE, "t"), refuse)
    assert sent == [POST_ORDER]


def test_tracking_starts_after_the_highest_id_seen_before_posting_and_raises_it() -> None:
    cursor = TrackingCursor(highest=41_000)
    step, steps = _post_step(cursor)
    cursor.highest = 41_500  # seen by another user after this order was read out, maybe after its id
    number, answer = _posted(step)
    assert step.check(answer) is None
    tracking = steps.send(answer)
    assert tracking.service_code == TRACKING
    assert tracking.body is not None
    assert (tracking.body["order_number"], tracking.body["after_id"]) == (number, 41_000)
    assert tracking.check({"items": [_item(number, 41_020)], "complete": True}) is None
    assert "not tracked" in str(tracking.check({"items": [], "complete": True}))
    assert "other orders" in str(tracking.check({"items": [_item("X", 41_020)], "complete": True}))
    assert tracking.check({"items": [_item(number, 40_999)], "complete": True}) is not None
    cursor.highest = 0
    try:
        steps.send({"items": [_item(number, 41_020)], "complete": True})
    except StopIteration:
        pass
    assert cursor.highest == 41_020


def test_an_order_not_in_the_pages_read_is_followed_and_never_passes_unfound() -> None:
    cursor = TrackingCursor()
    step, steps = _post_step(cursor)
    tracking = steps.send(_posted(step)[1])
    for call in range(1, MAX_TRACKING_CALLS + 1):
        assert tracking.body is not None
        after = tracking.body["after_id"]
        assert after == (call - 1) * 500
        further = {"items": [], "complete": False, "next_after_id": after + 500}
        if call < MAX_TRACKING_CALLS:
            assert tracking.check(further) is None
            assert tracking.check({"items": [], "complete": False}) is not None  # no cursor to follow
            tracking = steps.send(further)
        else:
            assert "not among the 5000 orders after id 0" in str(tracking.check(further))
    assert cursor.highest == (MAX_TRACKING_CALLS - 1) * 500


def test_user_tags_differ_across_locust_workers_and_users_so_order_numbers_do() -> None:
    tags = [user_tag("u", worker) for worker in (0, 1) for _ in range(500)]
    assert len(set(tags)) == len(tags)
    numbers = {Draw(random.Random(0), PEOPLE, tag).unique("VNP") for tag in tags}
    assert len(numbers) == len(tags)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]{1,50}", number) for number in numbers)


def test_a_later_run_against_the_same_stack_sends_other_numbers() -> None:
    """The mocks keep a run's dossiers, payments and orders: the next run's numbers must not repeat them,
    though its users' draws do (same seed, same tags)."""
    tokens = [_started_token(1_765_000_000.0 + tenth / 10) for tenth in range(0, 20_000, 7)]
    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[0-9a-z]{6}", token) for token in tokens)
    draw = Draw(random.Random(0), PEOPLE, "u00001w0")
    assert draw.unique("H31") == f"H31-{RUN_TOKEN}u00001w0-000001"
