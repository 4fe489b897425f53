"""`lgsp run` starts its workers before its journeys: a journey feed polls a service from the start, and
before a worker has declared that service's queue the call failed as NoRoute (a red row and a 10 % error
share on every fresh dashboard)."""

from __future__ import annotations

import time

import httpx

from tests.dashboard.conftest import ADMIN_KEY, LiveStack
from tests.dashboard.conftest import live_stack as live_stack  # the embedded stack in its own process

FEED_SERVICE = "VN/GOV/BCA/CSDLDC/BienDongKhaiTu/v1"  # the death feed's, polled every 0.5 s


def test_a_fresh_stack_s_first_feed_polls_find_a_worker(live_stack: LiveStack) -> None:
    headers = {"X-Admin-Key": ADMIN_KEY}
    deadline = time.monotonic() + 20
    while True:
        answer = httpx.get(
            f"{live_stack.gateway}/monitoring/records", headers=headers, params={"service": FEED_SERVICE}
        )
        assert answer.status_code == 200, answer.text
        polls = answer.json()["records"]
        if len(polls) >= 3:
            break
        assert time.monotonic() < deadline, f"the death feed polled {len(polls)} times in 20 s"
        time.sleep(0.5)
    first = sorted(polls, key=lambda record: record["request_in"])[0]
    assert first["succeeded"], first
    assert [r["fault_type"] for r in polls if not r["succeeded"]] == []
