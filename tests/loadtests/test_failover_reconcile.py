"""The failover benchmark's figures: lost, doubled and the pause, from calls and provider executions."""

from __future__ import annotations

import pytest

from loadtests.cluster.reconcile import Call, longest_gap, reconcile


def test_every_call_executed_once_is_neither_lost_nor_doubled() -> None:
    calls = [Call("a", 1.0, 200), Call("b", 2.0, 504), Call("c", 3.0, 200, followed=True)]
    figures = reconcile(calls, ["a", "b", "c"], stopped_at=0.5, ended_at=4.0)
    assert (figures.lost, figures.doubled, figures.executed) == (0, 0, 3)
    assert figures.by_status == {"200": 1, "504": 1, "202→200": 1}


def test_an_accepted_call_never_executed_and_a_refused_one_executed_are_lost() -> None:
    calls = [Call("a", 1.0, 200), Call("b", 2.0, 504), Call("c", 2.5, 503), Call("d", 2.6, 503)]
    figures = reconcile(calls, ["a", "c"], stopped_at=0.5, ended_at=4.0)
    assert figures.lost == 2  # b accepted, never run; c refused, yet run


def test_a_call_executed_twice_is_doubled() -> None:
    figures = reconcile([Call("a", 1.0, 200), Call("b", 1.5, 200)], ["a", "b", "a", "a"], 0.0, 2.0)
    assert (figures.doubled, figures.executed, figures.lost) == (1, 4, 0)


def test_the_pause_is_the_longest_time_without_a_direct_200_after_the_stop() -> None:
    calls = [
        Call("before", 0.5, 200),  # before the stop: not part of the pause
        Call("a", 1.2, 200),
        Call("b", 2.0, 504),  # not a 200
        Call("c", 3.0, 200, followed=True),  # a 202 followed to 200: its caller waited
        Call("d", 4.5, 200),
    ]
    figures = reconcile(calls, ["before", "a", "b", "c", "d"], stopped_at=1.0, ended_at=5.0)
    assert figures.pause_s == pytest.approx(3.3)
    assert any("pause: 3.30 s" in line for line in figures.lines())


def test_no_200_at_all_after_the_stop_pauses_until_the_end() -> None:
    assert longest_gap([], 10.0, 25.0) == pytest.approx(15.0)
