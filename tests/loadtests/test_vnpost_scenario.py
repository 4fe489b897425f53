"""The VNPost scenario tracks only an order the bus answered posted (a refused post left none to find)."""

from __future__ import annotations

import random

import pytest

from loadtests.scenarios.base import Draw, Step, Steps
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
