"""The start-up heap is frozen out of the collector's passes, and nothing is collected by freezing."""

from __future__ import annotations

import gc

from bus.heap import freeze_startup_heap


def test_objects_alive_at_start_up_are_left_out_of_later_collections() -> None:
    made_at_start_up = {"catalog": ["services"]}
    try:
        frozen = freeze_startup_heap()
        assert frozen >= 1
        assert not any(tracked is made_at_start_up for tracked in gc.get_objects())
        made_later = [["transaction"]]  # a container the collector tracks
        assert any(tracked is made_later for tracked in gc.get_objects())
        assert made_at_start_up["catalog"] == ["services"]  # frozen, not freed
    finally:
        gc.unfreeze()
