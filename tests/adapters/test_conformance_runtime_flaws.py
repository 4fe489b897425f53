"""The kit fails adapters whose flaw only shows at run time, naming it: answers the worker cannot
send as JSON, calls that never answer, code that blocks the event loop. The correct twin passes."""

from __future__ import annotations

import pytest

from adapters.conformance import CallLimits, ConformanceReport, check_target, run_conformance
from tests.adapters.fixtures import broken_runtime

FIXTURES = "tests.adapters.fixtures.broken_runtime"


def _detail(report: ConformanceReport, check: str) -> str:
    result = report.result(check)
    assert result.status == "fail", report.model_dump_json(indent=1)
    return result.detail


async def test_correct_adapter_passes_every_check_including_json_answers_and_event_loop() -> None:
    report = await check_target(f"{FIXTURES}:records_birth")
    assert report.ok, report.model_dump_json(indent=1)
    assert report.result("answers_are_json").status == "pass"
    assert report.result("never_blocks_event_loop").status == "pass"
    assert report.result("idempotent_under_redelivery").status == "pass"


@pytest.mark.parametrize(
    ("factory", "named"),
    [
        ("answers_datetime", "answer['registered_at'] is datetime, not a JSON value"),
        ("answers_bytes", "answer['scan'] is bytes, not a JSON value"),
        ("answers_set", "answer['offices'] is set, not a JSON value"),
        ("answers_nan", "answer['fee'] is nan, which JSON cannot carry: the caller receives null"),
    ],
)
async def test_answer_the_worker_cannot_send_as_json_fails_naming_the_value(factory: str, named: str) -> None:
    report = await check_target(f"{FIXTURES}:{factory}")
    assert not report.ok
    assert named in _detail(report, "answers_are_json")
    assert named in _detail(report, "answers_every_service")


async def test_hanging_adapter_fails_idempotency_saying_it_hung_and_after_how_long() -> None:
    factory = broken_runtime.hangs
    limits = CallLimits(deadline_seconds=0.3, grace_seconds=0.2)
    report = await run_conformance(factory, broken_runtime.conformance_profile(), limits=limits)
    detail = _detail(report, "idempotent_under_redelivery")
    assert "hung: no answer within 0.5 s (its 0.3 s deadline + the kit's 0.2 s grace)" in detail
    assert "hung" in _detail(report, "answers_every_service")


@pytest.mark.parametrize("block_seconds", [0.3, broken_runtime.BLOCK_SECONDS])
async def test_adapter_blocking_the_event_loop_fails_saying_where_for_how_long_and_the_fix(
    block_seconds: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broken_runtime, "BLOCK_SECONDS", block_seconds)
    report = await check_target(f"{FIXTURES}:blocks_event_loop")
    detail = _detail(report, "never_blocks_event_loop")
    assert "blocked the event loop for" in detail
    assert "wait_for_registry_synchronously (broken_runtime.py:" in detail
    assert "called from handle (broken_runtime.py:" in detail
    assert "asyncio.to_thread" in detail
    blocked = float(detail.split("blocked the event loop for ")[1].split(" s")[0])
    assert block_seconds - 0.1 <= blocked < block_seconds + 1.0
    assert report.failed() == ["never_blocks_event_loop"]
