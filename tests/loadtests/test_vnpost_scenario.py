"""The VNPost scenario tracks only an order the bus answered posted; no two users draw one order number."""

from __future__ import annotations

import random
import re

import pytest

from loadtests.scenarios.base import Draw, Step, Steps, user_tag
from loadtests.scenarios.vnpost import POST_ORDER, SEND_BY_POST, TRACKING
from services.citizens import Population

PEOPLE = Population()


def _post_step() -> tuple[Step, Steps]:
    steps = SEND_BY_POST.run(Draw(random.Random(11), PEOPLE, "t"))
    step = next(steps)
    assert step.service_code == POST_ORDER
    return step, steps


def test_a_refused_post_order_is_not_followed_by_its_tracking() -> None:
    _, steps = _post_step()
    # The locustfile sends None back for a failed step (here the gateway's Client.RateLimited refusal).
    with pytest.raises(StopIteration):
        steps.send(None)


def test_an_accepted_post_order_is_tracked_and_must_be_found() -> None:
    step, steps = _post_step()
    assert step.body is not None
    number = step.body["order_number"]
    answer = {"order_number": number, "item_code": "EN000000001VN"}
    assert step.check(answer) is None
    tracking = steps.send(answer)
    assert tracking.service_code == TRACKING
    assert tracking.body is not None and tracking.body["order_number"] == number
    assert tracking.check({"items": [{"order_number": number}], "complete": True}) is None
    assert "not tracked" in str(tracking.check({"items": [], "complete": True}))
    assert "other orders" in str(tracking.check({"items": [{"order_number": "X"}], "complete": True}))


def test_user_tags_differ_across_locust_workers_and_users_so_order_numbers_do() -> None:
    tags = [user_tag("u", worker) for worker in (0, 1) for _ in range(500)]
    assert len(set(tags)) == len(tags)
    numbers = {Draw(random.Random(0), PEOPLE, tag).unique("VNP") for tag in tags}
    assert len(numbers) == len(tags)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]{1,50}", number) for number in numbers)
